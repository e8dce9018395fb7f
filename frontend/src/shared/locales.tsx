// The languages the importer speaks, with the names the language pickers show. The list itself is
// the SDK's (sdk/protocol.ts), so the SDK, the importer iframe and every picker agree.
import { LOCALES, type Locale } from '../sdk/protocol';

export { LOCALES, type Locale };

/** Each language in its own name, as the pickers (console "Try", demo app) list them. */
export const LOCALE_NAMES: Record<Locale, string> = {
  en: 'English',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  it: 'Italiano',
};

/** `<option>`s of a language picker, in LOCALES order (the "browser default" choice is the picker's). */
export function LocaleOptions() {
  return (
    <>
      {LOCALES.map((l) => (
        <option key={l} value={l}>
          {LOCALE_NAMES[l]}
        </option>
      ))}
    </>
  );
}
