// Strings of the review's match filter (importers with match_on: rows are new, updates of an
// earlier record, or unchanged). Merged into the dictionaries of i18n.ts.

const en = {
  'callback.unchecked': 'Not checked yet',
  'callback.failed': 'Your validation service did not answer, so your rows are not checked yet. Any change you make checks them again.',
  'callback.running': 'Checking your rows with the validation service…',
  'match.label': 'Compared with earlier imports',
  'match.all': 'All rows',
  'match.new': 'New ({n})',
  'match.update': 'Updated ({n})',
  'match.unchanged': 'Unchanged ({n})',
  'match.changed': 'Changed since the last import',
};

type Strings = typeof en;

const de: Strings = {
  'callback.unchecked': 'Noch nicht geprüft',
  'callback.failed': 'Ihr Prüfdienst hat nicht geantwortet, daher sind Ihre Zeilen noch nicht geprüft. Jede Änderung prüft sie erneut.',
  'callback.running': 'Ihre Zeilen werden mit dem Prüfdienst geprüft…',
  'match.label': 'Verglichen mit früheren Importen',
  'match.all': 'Alle Zeilen',
  'match.new': 'Neu ({n})',
  'match.update': 'Geändert ({n})',
  'match.unchanged': 'Unverändert ({n})',
  'match.changed': 'Seit dem letzten Import geändert',
};

const fr: Strings = {
  'callback.unchecked': 'Pas encore vérifié',
  'callback.failed': 'Votre service de validation n’a pas répondu : vos lignes ne sont pas encore vérifiées. Chaque modification les vérifie à nouveau.',
  'callback.running': 'Vérification de vos lignes par le service de validation…',
  'match.label': 'Comparé aux imports précédents',
  'match.all': 'Toutes les lignes',
  'match.new': 'Nouvelles ({n})',
  'match.update': 'Modifiées ({n})',
  'match.unchanged': 'Inchangées ({n})',
  'match.changed': 'Modifié depuis le dernier import',
};

const es: Strings = {
  'callback.unchecked': 'Aún sin comprobar',
  'callback.failed': 'Su servicio de validación no respondió, así que sus filas aún no están comprobadas. Cada cambio las vuelve a comprobar.',
  'callback.running': 'Comprobando sus filas con el servicio de validación…',
  'match.label': 'Comparado con importaciones anteriores',
  'match.all': 'Todas las filas',
  'match.new': 'Nuevas ({n})',
  'match.update': 'Modificadas ({n})',
  'match.unchanged': 'Sin cambios ({n})',
  'match.changed': 'Cambiado desde la última importación',
};

const it: Strings = {
  'callback.unchecked': 'Non ancora controllate',
  'callback.failed': 'Il tuo servizio di convalida non ha risposto, quindi le righe non sono ancora controllate. Ogni modifica le ricontrolla.',
  'callback.running': 'Controllo delle righe con il servizio di convalida…',
  'match.label': 'Confrontato con le importazioni precedenti',
  'match.all': 'Tutte le righe',
  'match.new': 'Nuove ({n})',
  'match.update': 'Modificate ({n})',
  'match.unchanged': 'Invariate ({n})',
  'match.changed': 'Modificato dall’ultima importazione',
};

export const matchStrings = { en, de, fr, es, it };
