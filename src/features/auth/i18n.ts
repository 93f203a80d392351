/** Sign-in through the directory and where accounts come from (shown in /admin/users). */
export const authDictionary = {
  ru: {
    'auth.ldap.unavailable': 'Каталог недоступен: вход через каталог организации сейчас невозможен. Попробуйте позже или обратитесь к администратору.',
    'auth.ldap.loginTaken': 'Этот логин уже занят локальной учётной записью. Обратитесь к администратору.',
    'auth.ldap.accountGone': 'Ваша учётная запись удалена или отключена в каталоге организации. Сеанс завершён.',
    'auth.ldap.sessionUnavailable': 'Каталог недоступен, поэтому проверить вашу учётную запись не удалось. Сеанс завершён — войдите снова, когда каталог заработает.',
    'users.source': 'Источник',
    'users.source.local': 'локальная',
    'users.source.ldap': 'каталог',
    'users.email': 'E-mail',
    'users.directoryDn': 'Запись в каталоге',
    'users.directoryRoleHint': 'Роль берётся из групп каталога и обновляется при каждом входе и проверке.',
    'users.directoryPassword': 'Пароль этой учётной записи хранится в каталоге организации и меняется там.',
  },
  en: {
    'auth.ldap.unavailable': 'Directory unavailable: signing in with the organization directory is not possible right now. Try again later or contact the administrator.',
    'auth.ldap.loginTaken': 'This login already belongs to a local account. Contact the administrator.',
    'auth.ldap.accountGone': 'Your account was removed or disabled in the organization directory. The session has ended.',
    'auth.ldap.sessionUnavailable': 'The directory is unavailable, so your account could not be checked. The session has ended: sign in again when the directory is back.',
    'users.source': 'Source',
    'users.source.local': 'local',
    'users.source.ldap': 'directory',
    'users.email': 'E-mail',
    'users.directoryDn': 'Directory entry',
    'users.directoryRoleHint': 'The role comes from the directory groups and is updated at every sign-in and check.',
    'users.directoryPassword': 'This account’s password is kept in the organization directory and is changed there.',
  },
};
