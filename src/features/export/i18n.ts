export const exportDictionary = {
  ru: {
    'export.toolbar': 'Экспорт в XML',
    'export.toolbarTitle': 'Выгрузить в XML то, что показано: весь справочник или текущую выборку',
    'export.groupXml': 'XML',
    'export.groupXmlTitle': 'Выгрузить группу и её участников в XML',
    'export.groupVcard': 'vCard',
    'export.groupVcardTitle': 'Карточки участников группы в формате vCard (для телефона или почтовой программы)',
    'export.personVcard': 'vCard',
  },
  en: {
    'export.toolbar': 'Export to XML',
    'export.toolbarTitle': 'Export what is shown to XML: the whole directory or the current selection',
    'export.groupXml': 'XML',
    'export.groupXmlTitle': 'Export the group and its members to XML',
    'export.groupVcard': 'vCard',
    'export.groupVcardTitle': 'The members’ cards as vCard (for a phone or a mail client)',
    'export.personVcard': 'vCard',
  },
};
