// The one version rule: registration, the repository's version folders and
// request pins all accept exactly the integers 1..MAX_MODEL_VERSION (nine
// digits), so a version that registers also loads after a restart.
import { describe, expect, it } from 'vitest';
import { MAX_MODEL_VERSION, MODEL_VERSION_RANGE, isModelVersion, parseModelVersion } from './model-config.js';

describe('model versions', () => {
  it('are the integers from 1 to 999999999', () => {
    expect(MAX_MODEL_VERSION).toBe(999_999_999);
    expect(MODEL_VERSION_RANGE).toBe('from 1 to 999999999');
    for (const v of [1, 2, 999_999_999]) expect(isModelVersion(v)).toBe(true);
    for (const v of [0, -1, 1.5, 1_000_000_000, Number.NaN, Infinity]) expect(isModelVersion(v)).toBe(false);
  });

  it('parse from decimal text (folder names, OIP versions) by the same rule, nothing looser', () => {
    expect(parseModelVersion('1')).toBe(1);
    expect(parseModelVersion('999999999')).toBe(999_999_999);
    for (const s of ['', '0', '007', '1000000000', '1e3', '0x10', ' 1', '1.0', '-1', '+1', 'abc']) expect(parseModelVersion(s)).toBeUndefined();
  });
});
