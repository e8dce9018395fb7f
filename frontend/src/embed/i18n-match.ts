// Strings of the review's match filter (importers with match_on: rows are new, updates of an
// earlier record, or unchanged). Merged into the dictionaries of i18n.ts.

const en = {
  'match.label': 'Compared with earlier imports',
  'match.all': 'All rows',
  'match.new': 'New ({n})',
  'match.update': 'Updated ({n})',
  'match.unchanged': 'Unchanged ({n})',
  'match.changed': 'Changed since the last import',
};

type Strings = typeof en;

const de: Strings = {
  'match.label': 'Verglichen mit früheren Importen',
  'match.all': 'Alle Zeilen',
  'match.new': 'Neu ({n})',
  'match.update': 'Geändert ({n})',
  'match.unchanged': 'Unverändert ({n})',
  'match.changed': 'Seit dem letzten Import geändert',
};

const fr: Strings = {
  'match.label': 'Comparé aux imports précédents',
  'match.all': 'Toutes les lignes',
  'match.new': 'Nouvelles ({n})',
  'match.update': 'Modifiées ({n})',
  'match.unchanged': 'Inchangées ({n})',
  'match.changed': 'Modifié depuis le dernier import',
};

const es: Strings = {
  'match.label': 'Comparado con importaciones anteriores',
  'match.all': 'Todas las filas',
  'match.new': 'Nuevas ({n})',
  'match.update': 'Modificadas ({n})',
  'match.unchanged': 'Sin cambios ({n})',
  'match.changed': 'Cambiado desde la última importación',
};

const it: Strings = {
  'match.label': 'Confrontato con le importazioni precedenti',
  'match.all': 'Tutte le righe',
  'match.new': 'Nuove ({n})',
  'match.update': 'Modificate ({n})',
  'match.unchanged': 'Invariate ({n})',
  'match.changed': 'Modificato dall’ultima importazione',
};

export const matchStrings = { en, de, fr, es, it };
