/** Helpers for strings that outlive the line they were cut from. */

/**
 * A copy of `text` that holds no reference to a larger string. V8 keeps a substring of 13 characters or more
 * (from `slice`, `split` or a regular expression's groups) as a view into its parent, and the parent then lives
 * as long as the substring: a memo or a series label holding a piece of a line would keep the tailer's whole
 * chunk of text (256 KiB) alive with it. Concatenating and then slicing makes V8 copy the text into a string of
 * its own. Meant for values that are kept, on the path that first sees them, not for every line.
 */
export function detached(text: string): string {
  return (' ' + text).slice(1);
}
