/**
 * Shared settings of the property tests (fast-check). Each property runs a fixed number of cases,
 * sized so that the whole property suite stays within seconds on two cores. A failure prints the
 * counterexample with its seed and path; `FC_SEED=<seed> FC_PATH=<path>` replays exactly that case
 * (FC_SEED alone replays the run), and FC_RUNS multiplies the number of cases for a longer search.
 */
import fc from 'fast-check';

export function runs<T>(numRuns: number): fc.Parameters<T> {
  const seed = process.env.FC_SEED;
  const path = process.env.FC_PATH;
  const factor = Number(process.env.FC_RUNS ?? '1');
  return {
    numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(factor) && factor > 0 ? factor : 1))),
    // The failed assertion's own message in the report, beside the counterexample.
    includeErrorInReport: true,
    ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
    ...(path !== undefined && path !== '' ? { path } : {}),
  };
}

/** Numbers a hostile input may carry: NaN, infinities, -0, huge, tiny, negative, non-integer. */
export const anyNumber = (): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 2 ** 31, -(2 ** 31)),
    fc.integer({ min: -1000, max: 1000 }),
    fc.double(),
  );

/** Any JSON-like value, including the numbers JSON cannot carry (YAML can: .nan, .inf). */
export const anyValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { depthSize: 'small' },
    anyNumber(),
    fc.string({ maxLength: 12 }),
    fc.constantFrom(null, undefined, true, false, '', ' ', '0', '-1', '1e400', 'NaN', '5m', '0s', '1h30m', 'auto'),
    fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
    fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,5}$/), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxKeys: 3 }),
  );
