/**
 * Named errors shared by the CLI, the workers and the UI. Each carries a
 * message a user can act on; callers render it, they do not rewrite it.
 */
export class SplitFaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A model file is missing, truncated or not what its name says. */
export class ModelFormatError extends SplitFaceError {}

/** A landmark/parameter CSV cannot be used (missing columns, bad numbers). */
export class CsvFormatError extends SplitFaceError {}

/** A video cannot be opened, decoded or has no frames. */
export class VideoInputError extends SplitFaceError {}

/** longest piece of a user's file quoted in a message: a binary or minified file would otherwise fill the screen */
const QUOTE_LIMIT = 60;

/** `text` in quotes for an error message, cut to QUOTE_LIMIT characters with an ellipsis. */
export function quoteForMessage(text: string): string {
  const cut = text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
  return `'${cut}'`;
}
