// Echoing what a client sent, boundedly. Error messages name the model,
// input or shape a request got wrong, but a name can be a megabyte and a
// shape a million dimensions: echoed whole, they make the status trailer
// larger than HTTP/2 allows and break the caller's connection (and every
// other call sharing it). Everything a client sent is clipped before it goes
// into a message, and every status message is capped as a last line of
// defence (common/errors.ts).

/** Longest status message sent to a client, characters. */
export const MAX_MESSAGE_CHARS = 1024;

/** A client-sent string, JSON-quoted and clipped: "abc…" (100000 characters). */
export function quoted(s: string, max = 64): string {
  if (s.length <= max) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, max))}… (${s.length} characters)`;
}

/** A client-sent word shown as it is, clipped: abc… (100000 characters). */
export function clipped(s: string, max = 64): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} characters)`;
}

/** A client-sent shape, clipped: [1, 3, 224, …] (1000000 dimensions). */
export function dims(shape: readonly (number | string)[], max = 8): string {
  const shown = shape.slice(0, max).map(String).join(', ');
  return shape.length <= max ? `[${shown}]` : `[${shown}, …] (${shape.length} dimensions)`;
}

/** Names in a list, clipped to the first `max`: "a, b, c and 997 more". */
export function someOf(names: readonly string[], max = 20): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** A message cut to `max` characters (with a note that it was). */
export function capMessage(message: string, max = MAX_MESSAGE_CHARS): string {
  return message.length <= max ? message : `${message.slice(0, max - 24)}… (message truncated)`;
}
