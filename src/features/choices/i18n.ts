export const choicesDictionary = {
  ru: {
    'choices.findOrganization': 'Найти организацию…',
    'choices.findPerson': 'Найти контактное лицо…',
    'choices.more': 'Показаны первые {count} — уточните поиск',
    'choices.nothing': 'Ничего не найдено',
  },
  en: {
    'choices.findOrganization': 'Find an organization…',
    'choices.findPerson': 'Find a person…',
    'choices.more': 'The first {count} are shown: narrow the search',
    'choices.nothing': 'Nothing found',
  },
};
