import { hashFraction, round } from './util';

export interface City {
  name: string;
  lat: number;
  lon: number;
  airport: string;
}

const CITIES: City[] = [
  { name: 'New York', lat: 40.71, lon: -74.01, airport: 'JFK' },
  { name: 'Los Angeles', lat: 34.05, lon: -118.24, airport: 'LAX' },
  { name: 'San Francisco', lat: 37.77, lon: -122.42, airport: 'SFO' },
  { name: 'Chicago', lat: 41.88, lon: -87.63, airport: 'ORD' },
  { name: 'Boston', lat: 42.36, lon: -71.06, airport: 'BOS' },
  { name: 'Seattle', lat: 47.61, lon: -122.33, airport: 'SEA' },
  { name: 'Miami', lat: 25.76, lon: -80.19, airport: 'MIA' },
  { name: 'Sacramento', lat: 38.58, lon: -121.49, airport: 'SMF' },
  { name: 'San Diego', lat: 32.72, lon: -117.16, airport: 'SAN' },
  { name: 'Toronto', lat: 43.65, lon: -79.38, airport: 'YYZ' },
  { name: 'London', lat: 51.51, lon: -0.13, airport: 'LHR' },
  { name: 'Paris', lat: 48.86, lon: 2.35, airport: 'CDG' },
  { name: 'Berlin', lat: 52.52, lon: 13.41, airport: 'BER' },
  { name: 'Madrid', lat: 40.42, lon: -3.7, airport: 'MAD' },
  { name: 'Rome', lat: 41.9, lon: 12.5, airport: 'FCO' },
  { name: 'Tokyo', lat: 35.68, lon: 139.69, airport: 'HND' },
  { name: 'Sydney', lat: -33.87, lon: 151.21, airport: 'SYD' },
];

/**
 * The cities the tools know by name, in table order. `northAmerica` are the ones drivable from San
 * Francisco (and flights between them and `overseas` cities are never "no flight needed").
 */
export function knownCities(where: 'all' | 'northAmerica' | 'overseas' = 'all'): City[] {
  return CITIES.filter((c) => where === 'all' || c.lon < -30 === (where === 'northAmerica')).map((c) => ({
    ...c,
  }));
}

function key(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, ' ');
}

function knownCity(name: string): City | undefined {
  const k = key(name);
  // "Paris, France" and "paris" both mean Paris.
  return CITIES.find((c) => key(c.name) === k || k.startsWith(`${key(c.name)},`));
}

/** Canonical spelling for a known city, otherwise the name as given (trimmed). */
export function cityName(name: string): string {
  return knownCity(name)?.name ?? name.trim();
}

/**
 * Coordinates of a city. Unknown cities get stable pseudo-coordinates from their name so any city the
 * user mentions works, and distances still obey the triangle inequality.
 */
function coords(name: string): { lat: number; lon: number } {
  const c = knownCity(name);
  if (c) return c;
  return {
    lat: -50 + 115 * hashFraction('lat', key(name)),
    lon: -180 + 360 * hashFraction('lon', key(name)),
  };
}

/** Great-circle distance in km, to 0.1 km. */
export function distanceKm(a: string, b: string): number {
  if (key(cityName(a)) === key(cityName(b))) return 0;
  const p = coords(a);
  const q = coords(b);
  const rad = Math.PI / 180;
  const dLat = (q.lat - p.lat) * rad;
  const dLon = (q.lon - p.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(p.lat * rad) * Math.cos(q.lat * rad) * Math.sin(dLon / 2) ** 2;
  return round(2 * 6371 * Math.asin(Math.sqrt(h)), 1);
}

export function airportFor(city: string): string {
  const c = knownCity(city);
  if (c) return c.airport;
  const letters = city.toUpperCase().replace(/[^A-Z]/g, '');
  return (letters + 'XXX').slice(0, 3);
}

/** The city an airport code serves; unknown codes stand for a city named after the code. */
export function cityForAirport(code: string): string {
  return CITIES.find((c) => c.airport === code.toUpperCase())?.name ?? code.toUpperCase();
}

export const KM_PER_MILE = 1.609344;
