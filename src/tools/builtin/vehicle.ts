import { ToolError } from '../types';
import { distanceKm, knownCities } from './geo';
import {
  argBoolean,
  argEnum,
  argNumber,
  argString,
  byText,
  defineToolSet,
  hashFraction,
  Hints,
  hashInt,
  round,
} from './util';

const LOCATION = 'San Francisco';
const TANK_CAPACITY = 50;
const LITERS_PER_KM = 0.075;
const DOORS = ['driver', 'passenger', 'rear_left', 'rear_right'] as const;
const FUEL_TYPES = ['regular', 'premium', 'diesel'] as const;
const FUEL_SURCHARGE: Record<(typeof FUEL_TYPES)[number], number> = {
  regular: 0,
  premium: 0.25,
  diesel: 0.1,
};

type VehicleState = {
  seed: number;
  location: string;
  fuel_level: number;
  tank_capacity: number;
  outside_temperature: number;
  doors: { [door: string]: boolean };
  climate: { temperature: number; unit: string; fan_speed: number; mode: string };
  navigation: { destination: string; distance: number };
};

function initialState(seed: number): VehicleState {
  return {
    seed,
    location: LOCATION,
    fuel_level: hashInt(80, 300, seed, 'fuel') / 10,
    tank_capacity: TANK_CAPACITY,
    outside_temperature: hashInt(-5, 35, seed, 'outside'),
    // Locked, as a parked car is; unlocking is something the user asks for.
    doors: Object.fromEntries(DOORS.map((d) => [d, true])),
    climate: { temperature: 21, unit: 'celsius', fan_speed: 30, mode: 'auto' },
    navigation: { destination: '', distance: 0 },
  };
}

/** The nearest station for a fuel type; a pure function of the state so navigation can recognise it. */
function station(s: VehicleState, fuelType: (typeof FUEL_TYPES)[number]) {
  const brands = ['Shell', 'Chevron', 'Arco', '76', 'Valero'];
  const streets = ['Market St', 'Mission St', 'Van Ness Ave', 'Geary Blvd', 'Lombard St'];
  const pick = (list: string[], label: string) =>
    list[hashInt(0, list.length - 1, s.seed, fuelType, label)] ?? '';
  const number = hashInt(100, 2999, s.seed, fuelType, 'number');
  return {
    destination: `${pick(brands, 'brand')} station, ${number} ${pick(streets, 'street')}, ${s.location}`,
    distance: hashInt(5, 80, s.seed, fuelType, 'distance') / 10,
    price_per_liter: round(1.2 + 0.4 * hashFraction(s.seed, 'price') + FUEL_SURCHARGE[fuelType], 2),
  };
}

function distanceTo(s: VehicleState, destination: string): number {
  const known = FUEL_TYPES.map((t) => station(s, t)).find(
    (st) => st.destination.toLowerCase() === destination.toLowerCase(),
  );
  if (known) return known.distance;
  // A street address ("120 Main St") is somewhere in town; anything else is taken to be a city.
  const local = /^\d/.test(destination) || destination.toLowerCase().includes(s.location.toLowerCase());
  if (local) return hashInt(10, 300, s.seed, destination.toLowerCase()) / 10;
  return distanceKm(s.location, destination);
}

const toFahrenheit = (c: number) => round((c * 9) / 5 + 32, 1);
const toCelsius = (f: number) => ((f - 32) * 5) / 9;

const FUEL_AMOUNT_HINTS = [5, 10, 15, 20, 25, 30, 35, 40, 45];

/**
 * Fuel amounts that fit the free space in the tank (when not even 5 L fit, the space itself, rounded
 * down), the fuel level actually in the tank, and drivable (North American) cities with their distances.
 * set_climate's temperature depends on its unit, so the unit hinted is celsius only and temperatures are
 * cabin settings in °C (the default unit, so they also work when the unit is left out).
 */
function valueHints(s: VehicleState): Hints {
  const space = s.tank_capacity - s.fuel_level;
  const fits = FUEL_AMOUNT_HINTS.filter((a) => a <= space + 1e-9);
  const cities = knownCities('northAmerica')
    .map((c) => c.name)
    .sort(byText);
  const elsewhere = cities.filter((c) => c.toLowerCase() !== s.location.toLowerCase());
  return {
    fuel_amount: fits.length > 0 ? fits : [Math.max(0, Math.floor(space * 10) / 10)],
    fuel_level: [s.fuel_level],
    distance: elsewhere.map((c) => distanceKm(s.location, c)).sort((a, b) => a - b),
    unit: ['celsius'],
    temperature: [21, 18, 19, 20, 22, 23, 24],
    fan_speed: [50, 30, 70, 100],
    mode: ['auto', 'cool', 'heat', 'defrost'],
    cityA: cities,
    cityB: cities,
    fuel_type: [...FUEL_TYPES],
    destination: [...FUEL_TYPES.map((t) => station(s, t).destination), ...elsewhere],
    lock: [true, false],
    door: ['all', ...DOORS],
  };
}

export const vehicleTools = defineToolSet<VehicleState>({
  name: 'vehicle',
  initialState,
  valueHints,
  handlers: {
    check_fuel_level: (s) => ({ fuel_level: s.fuel_level, tank_capacity: s.tank_capacity }),
    calculate_fuel_needed(s, args) {
      const distance = argNumber(args, 'distance', { min: 0 });
      const level = argNumber(args, 'fuel_level', { min: 0, max: s.tank_capacity });
      const needed = distance * LITERS_PER_KM;
      // Round the top-up up (so it suffices) but never beyond the free space (so it fits).
      const shortfall = Math.ceil(Math.max(0, needed - level) * 10) / 10;
      const space = Math.floor((s.tank_capacity - level) * 10) / 10;
      return { fuel_amount: round(Math.min(shortfall, space), 1), sufficient: level >= needed };
    },
    fill_fuel_tank(s, args) {
      const amount = argNumber(args, 'fuel_amount', { min: 0 });
      const space = round(s.tank_capacity - s.fuel_level, 2);
      if (amount > space + 1e-9) {
        throw new ToolError(
          `${amount} L would overflow the tank: only ${space} L fit (capacity ${s.tank_capacity} L)`,
        );
      }
      s.fuel_level = round(Math.min(s.tank_capacity, s.fuel_level + amount), 2);
      return { fuel_level: s.fuel_level };
    },
    get_outside_temperature(s, args) {
      const unit = argEnum(args, 'unit', ['celsius', 'fahrenheit'], 'celsius');
      const c = s.outside_temperature;
      return { temperature: unit === 'celsius' ? c : toFahrenheit(c), unit };
    },
    set_climate(s, args) {
      const temperature = argNumber(args, 'temperature');
      const unit = argEnum(args, 'unit', ['celsius', 'fahrenheit'], 'celsius');
      const fanSpeed = argNumber(args, 'fan_speed', { fallback: 50, min: 0, max: 100, integer: true });
      const mode = argEnum(args, 'mode', ['auto', 'cool', 'heat', 'defrost'], 'auto');
      const celsius = unit === 'celsius' ? temperature : toCelsius(temperature);
      if (celsius < 16 - 0.05 || celsius > 30 + 0.05) {
        throw new ToolError(
          `cabin temperature must be between 16 and 30 °C (61 and 86 °F); got ${temperature} ${unit}`,
        );
      }
      s.climate = { temperature, unit, fan_speed: fanSpeed, mode };
      return { temperature, unit, fan_speed: fanSpeed, mode };
    },
    estimate_distance: (_s, args) => ({
      distance: distanceKm(argString(args, 'cityA'), argString(args, 'cityB')),
    }),
    find_nearest_gas_station(s, args) {
      return station(s, argEnum(args, 'fuel_type', FUEL_TYPES, 'regular'));
    },
    set_navigation(s, args) {
      const destination = argString(args, 'destination');
      const distance = distanceTo(s, destination);
      s.navigation = { destination, distance };
      return { destination, distance, status: distance === 0 ? 'arrived' : 'navigating' };
    },
    lock_doors(s, args) {
      const lock = argBoolean(args, 'lock');
      const door = argEnum(args, 'door', ['all', ...DOORS], 'all');
      for (const d of DOORS) if (door === 'all' || door === d) s.doors[d] = lock;
      return {
        locked_doors: DOORS.filter((d) => s.doors[d]),
        unlocked_doors: DOORS.filter((d) => !s.doors[d]),
      };
    },
  },
});
