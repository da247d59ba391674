/**
 * The non-seasonal ETS of the `mstl` model (src/forecast/models/mstl.ts): likelihood as
 * R's forecast::ets defines it, initial state by least squares, model choice by AICc, parameters
 * given back and refined. Against R's output: stl.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ETS_FORMS, etsForecast, fitEts, type EtsFit } from '../../../src/forecast/models/mstl.js';
import { lcgGaussian } from '../../support/synthetic.js';

const formOf = (name: string): number => ETS_FORMS.findIndex((f) => f.name === name);

/**
 * R's ETS filter written out plainly (forecast's etscalc.c, non-seasonal): one-step forecast
 * l + phi b, e = y - forecast (relative for multiplicative errors), l' = forecast + alpha (y -
 * forecast), b' = phi b + beta (y - forecast); -2 log-likelihood n log(sum e^2), plus
 * 2 sum log |forecast| for multiplicative errors.
 */
function reference(y: Float64Array, fit: Pick<EtsFit, 'form' | 'alpha' | 'beta' | 'phi'>, l0: number, b0: number): { lik: number; level: number; slope: number } {
  const f = ETS_FORMS[fit.form]!;
  const phi = f.trend ? (f.damped ? fit.phi : 1) : 0;
  const beta = f.trend ? fit.beta : 0;
  let l = l0;
  let b = f.trend ? b0 : 0;
  let sse = 0;
  let logs = 0;
  for (const yt of y) {
    const fc = l + phi * b;
    const e = f.multiplicative ? (yt - fc) / fc : yt - fc;
    sse += e * e;
    logs += Math.log(Math.abs(fc));
    l = fc + fit.alpha * (yt - fc);
    b = phi * b + beta * (yt - fc);
  }
  const lik = y.length * Math.log(sse) + (f.multiplicative ? 2 * logs : 0);
  return { lik, level: l, slope: b };
}

/** An ETS(A,Ad,N)-like series: level and slope driven by N(0, sigma^2) errors. */
function simulate(n: number, alpha: number, beta: number, phi: number, sigma: number, seed = 5, slope = 0.2): Float64Array {
  const g = lcgGaussian(seed);
  let l = 100;
  let b = slope;
  return Float64Array.from({ length: n }, () => {
    const fc = l + phi * b;
    const e = sigma * g();
    l = fc + alpha * e;
    b = phi * b + beta * e;
    return fc + e;
  });
}

test('ets: the fitted initial state is the likelihood optimum and lik is R\'s -2 log-likelihood of the plain filter, for every form', () => {
  const y = simulate(2000, 0.4, 0.05, 0.9, 1);
  for (let form = 0; form < ETS_FORMS.length; form++) {
    const fit = fitEts(y, [form, 0.4, 0.05, 0.9])!;
    assert.equal(fit.form, form, ETS_FORMS[form]!.name);
    const at = reference(y, fit, fit.initial[0], fit.initial[1]);
    assert.ok(Math.abs(at.lik - fit.lik) < 1e-6 * Math.abs(at.lik), `${ETS_FORMS[form]!.name}: lik ${fit.lik} vs ${at.lik}`);
    assert.ok(Math.abs(at.level - fit.level) < 1e-6 && Math.abs(at.slope - fit.slope) < 1e-6, `${ETS_FORMS[form]!.name}: final state`);
    if (ETS_FORMS[form]!.multiplicative) continue; // least squares on relative errors against the data: near the optimum only
    for (const [dl, db] of [[0.5, 0], [-0.5, 0], [0, 0.05], [0, -0.05]] as const) {
      if (db !== 0 && !ETS_FORMS[form]!.trend) continue;
      const moved = reference(y, fit, fit.initial[0] + dl, fit.initial[1] + db).lik;
      assert.ok(moved > fit.lik, `${ETS_FORMS[form]!.name}: initial state + (${dl}, ${db}) gives ${moved} <= ${fit.lik}`);
    }
  }
});

test('ets: simple exponential smoothing data is fitted as such, alpha recovered', () => {
  const y = simulate(3000, 0.3, 0, 1, 2, 5, 0);
  const fit = fitEts(y)!;
  assert.ok(!ETS_FORMS[fit.form]!.trend || fit.beta < 0.01, `${ETS_FORMS[fit.form]!.name} beta ${fit.beta}`);
  assert.ok(Math.abs(fit.alpha - 0.3) < 0.05, `alpha ${fit.alpha}`);
  // The forecast is flat at the last level.
  const out = etsForecast(fit, 10);
  assert.ok(Math.abs(out[9]! - out[0]!) < 0.1 * 2, `forecast ${out[0]} .. ${out[9]}`);
});

test('ets: a noisy line is continued by a trend form; AICc picks it over the level-only forms', () => {
  const g = lcgGaussian(3);
  const y = Float64Array.from({ length: 500 }, (_, t) => 50 + 0.5 * t + g());
  const fit = fitEts(y)!;
  assert.ok(ETS_FORMS[fit.form]!.trend, `chose ${ETS_FORMS[fit.form]!.name}`);
  const out = etsForecast(fit, 20);
  for (let k = 0; k < 20; k++) assert.ok(Math.abs(out[k]! - (50 + 0.5 * (500 + k))) < 3 + 0.1 * k, `step ${k + 1}: ${out[k]}`);
  const level = fitEts(y, [formOf('ANN'), 0.5, 0, 1])!;
  assert.ok(fit.aicc < level.aicc);
});

test('ets: multiplicative errors only for a positive series; a constant one is held exactly', () => {
  const g = lcgGaussian(9);
  const signed = Float64Array.from({ length: 300 }, () => g());
  assert.ok(!ETS_FORMS[fitEts(signed)!.form]!.multiplicative);
  // A multiplicative form given back for a series that is no longer positive: its additive twin.
  assert.equal(fitEts(signed, [formOf('MAdN'), 0.5, 0.1, 0.9])!.form, formOf('AAdN'));
  const flat = fitEts(new Float64Array(100).fill(42))!;
  for (const v of etsForecast(flat, 5)) assert.ok(Math.abs(v - 42) < 1e-9, `constant forecast ${v}`);
  assert.equal(fitEts(Float64Array.of(1, 2, 3)), undefined, 'three points: too few for any form');
});

test('ets: parameters given back are used as they are; refined, the likelihood is no worse', () => {
  const y = simulate(2000, 0.6, 0.02, 0.95, 1, 11);
  const cold = fitEts(y)!;
  const params = [cold.form, cold.alpha, cold.beta, cold.phi];
  const again = fitEts(y, params)!;
  assert.deepEqual([again.form, again.alpha, again.beta, again.phi].map((v) => +v.toFixed(12)), params.map((v) => +v.toFixed(12)));
  assert.deepEqual(etsForecast(again, 24), etsForecast(cold, 24));
  // From a poor start, a refit (20 evaluations) improves on it.
  const poor = [cold.form, 0.1, 0.01, 0.85];
  const fixed = fitEts(y, poor)!;
  const refined = fitEts(y, poor, true)!;
  assert.ok(refined.lik < fixed.lik, `refined ${refined.lik} vs fixed ${fixed.lik}`);
  assert.ok(refined.lik >= cold.lik - 1e-6 * Math.abs(cold.lik), 'not better than the full fit');
});
