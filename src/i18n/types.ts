/** A message: plain text, or plural forms chosen by Intl.PluralRules (Russian needs one/few/many). */
export type Plural = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
export type Message = string | Plural;
export type Dictionary = Record<string, Message>;

/** A feature's own strings, in both languages (src/features/<f>/i18n.ts). */
export interface FeatureDictionary {
  ru: Dictionary;
  en: Dictionary;
}
