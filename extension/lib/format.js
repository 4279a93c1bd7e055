// How the popup writes numbers: energy and CO2 in a unit that keeps them short (0.3 mWh, 12.7 kWh,
// 5.5 kg), with 2–3 significant digits (the estimates are uncertain by a factor of ~2, so more
// would be false precision), never in exponent notation, with en-US separators. Pure: no DOM.

const SIG3 = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 3 });
const SIG2 = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 2 });
const WHOLE = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const COMPACT = new Intl.NumberFormat("en-US", { notation: "compact", maximumSignificantDigits: 3 });

// [unit, size in the base unit], largest first; the base unit serves from 0.01 up to 1000
const ENERGY = [["MWh", 1e6], ["kWh", 1e3], ["Wh", 1], ["mWh", 1e-3]];
const MASS = [["t", 1e6], ["kg", 1e3], ["g", 1], ["mg", 1e-3]];
const VOLUME = [["m³", 1e6], ["L", 1e3], ["mL", 1], ["µL", 1e-3]];

/** A plain number: whole with separators from 100 up, 3 significant digits from 1, 2 below (3 if `fine`). */
export function num(x, fine = false) {
  if (!Number.isFinite(x)) return "–";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return (a >= 100 ? WHOLE : a >= 1 || fine ? SIG3 : SIG2).format(x);
}

/** A count (exchanges, tokens): whole, with separators. */
export function count(x) {
  return Number.isFinite(x) ? WHOLE.format(Math.round(x)) : "–";
}

/** A count in at most 3 significant digits: 40.4M, 113K, 950. */
export function compact(x) {
  return Number.isFinite(x) ? COMPACT.format(Math.round(x)) : "–";
}

// the next unit up from where the value would print as 1,000 (999.5 Wh is "1 kWh", not "1,000 Wh")
const UP = 0.9995;

function unitFor(units, x) {
  const a = Math.abs(x);
  if (!Number.isFinite(a) || a === 0) return units[2];
  if (a < 0.01) return units[3];
  return units.slice(0, 3).find(([, size]) => a >= size * UP) || units[2];
}

function scaled(x, [, size]) {
  return num(x / size);
}

/** Energy in Wh with its unit: "0.3 mWh", "122 Wh", "12.7 kWh". */
export function energy(wh) {
  const u = unitFor(ENERGY, wh);
  return `${scaled(wh, u)} ${u[0]}`;
}

/** An energy range in the unit of its upper end: "4.25–31.8 kWh". */
export function energyRange(low, high) {
  const u = unitFor(ENERGY, high);
  return `${scaled(low, u)}–${scaled(high, u)} ${u[0]}`;
}

/** A mass of CO2 given in grams: "0.11 mg", "44.9 g", "5.53 kg" (the caller adds "CO₂"). */
export function mass(g) {
  const u = unitFor(MASS, g);
  return `${scaled(g, u)} ${u[0]}`;
}

/** A volume of water given in mL: "0.26 mL", "1.2 L", "3.4 m³". */
export function volume(ml) {
  const u = unitFor(VOLUME, ml);
  return `${scaled(ml, u)} ${u[0]}`;
}
