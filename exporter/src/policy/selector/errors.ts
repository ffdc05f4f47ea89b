/** A selector that does not follow Calico's grammar. The message names the selector, what was expected and where. */
export class SelectorSyntaxError extends Error {
  /** The selector text as given. */
  readonly selector: string;
  /** 1-based column where parsing stopped; one past the last character when the input ended too soon. */
  readonly column: number;
  /** What went wrong, without the selector or the column, e.g. `expected a quoted value`. */
  readonly detail: string;

  constructor(selector: string, offset: number, detail: string) {
    super(`selector ${JSON.stringify(selector)}: ${detail} at column ${offset + 1}`);
    this.name = 'SelectorSyntaxError';
    this.selector = selector;
    this.column = offset + 1;
    this.detail = detail;
  }
}
