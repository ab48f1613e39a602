import { ToolError } from '../types';
import { airportFor, cityForAirport, cityName, distanceKm, KM_PER_MILE, knownCities } from './geo';
import {
  Args,
  argEnum,
  argNumber,
  argString,
  byText,
  defineToolSet,
  hashFraction,
  Hints,
  hashInt,
  makeId,
  round,
} from './util';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CAD', 'AUD'] as const;
type Currency = (typeof CURRENCIES)[number];
/** Value of one unit in USD; a fixed table keeps conversions reproducible. */
const USD_VALUE: Record<Currency, number> = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  JPY: 0.0067,
  CAD: 0.73,
  AUD: 0.66,
};

const CLASSES = ['economy', 'premium_economy', 'business', 'first'] as const;
const CLASS_FACTOR: Record<(typeof CLASSES)[number], number> = {
  economy: 1,
  premium_economy: 1.6,
  business: 3,
  first: 5,
};

const CARD_TYPES = ['visa', 'mastercard', 'amex'] as const;

type Card = { card_type: string; balance: number; currency: Currency };
type Booking = {
  card_id: string;
  airport_code: string;
  destination_city: string;
  travel_class: string;
  /** What was charged, in the card currency. */
  cost: number;
  currency: Currency;
  status: 'confirmed' | 'cancelled';
};
type TravelState = {
  seed: number;
  counter: number;
  cards: { [cardId: string]: Card };
  bookings: { [bookingId: string]: Booking };
};

function convert(amount: number, from: Currency, to: Currency): number {
  return round((amount * USD_VALUE[from]) / USD_VALUE[to], 2);
}

function airportCode(args: Args): string {
  const code = argString(args, 'airport_code').toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) throw new ToolError(`"${code}" is not a three-letter IATA airport code`);
  return code;
}

function initialState(seed: number): TravelState {
  const card = (type: string, prefix: string, currency: Currency, min: number, max: number) => ({
    id: `${prefix}-${hashInt(1000, 9999, seed, type)}`,
    card: { card_type: type, balance: hashInt(min, max, seed, type, 'balance'), currency },
  });
  const cards = [
    card('visa', 'VISA', 'USD', 3000, 6000),
    card('mastercard', 'MC', 'EUR', 1500, 3000),
    card('amex', 'AMEX', 'USD', 500, 1200),
  ];
  return { seed, counter: 0, cards: Object.fromEntries(cards.map((c) => [c.id, c.card])), bookings: {} };
}

function requireBooking(s: TravelState, args: Args): [string, Booking] {
  const id = argString(args, 'booking_id');
  const booking = s.bookings[id];
  if (!booking) throw new ToolError(`booking not found: ${id}`);
  return [id, booking];
}

/** Prices a user might name for a flight (USD or any other currency). */
const COST_HINTS = [50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000];

/**
 * Departures are North American airports and destinations overseas cities, so any airport/destination
 * pair is a real flight (never "already serves"). Costs fit the smallest usable card even in the dearest
 * currency, and cards too low for the cheapest cost are left out, so any card/cost/currency triple books;
 * cards are listed largest balance first.
 * Only confirmed bookings are listed: a cancelled one can be looked up but not cancelled again.
 */
function valueHints(s: TravelState): Hints {
  const home = knownCities('northAmerica');
  const overseas = knownCities('overseas');
  const dearest = Math.max(...CURRENCIES.map((c) => USD_VALUE[c]));
  // What each card could pay for a price in the dearest currency.
  const affordable = (c: Card) => (c.balance * USD_VALUE[c.currency]) / dearest - 0.01;
  const cheapest = COST_HINTS[0] ?? 0;
  // Largest balance first: the card most likely to cover a quoted fare as well.
  const cards = Object.entries(s.cards)
    .filter(([, c]) => affordable(c) >= cheapest)
    .sort(([ia, a], [ib, b]) => affordable(b) - affordable(a) || byText(ia, ib));
  const cap = Math.min(...cards.map(([, c]) => affordable(c)));
  return {
    city: knownCities()
      .map((c) => c.name)
      .sort(byText),
    origin_city: home.map((c) => c.name).sort(byText),
    airport_code: home.map((c) => c.airport).sort(byText),
    destination_city: overseas.map((c) => c.name).sort(byText),
    card_type: Object.values(s.cards)
      .map((c) => c.card_type)
      .sort(byText),
    card_id: cards.map(([id]) => id),
    cost: cards.length > 0 ? COST_HINTS.filter((c) => c <= cap) : [],
    currency: [...CURRENCIES],
    target_currency: [...CURRENCIES],
    travel_class: [...CLASSES],
    booking_id: Object.keys(s.bookings)
      .filter((id) => s.bookings[id]?.status === 'confirmed')
      .sort(byText),
    unit: ['km', 'miles'],
    mode: ['car', 'train', 'plane'],
  };
}

export const travelTools = defineToolSet<TravelState>({
  name: 'travel',
  initialState,
  valueHints,
  handlers: {
    get_nearest_airport(_s, args) {
      const city = cityName(argString(args, 'city'));
      return { airport_code: airportFor(city), city };
    },
    get_flight_cost(s, args) {
      const code = airportCode(args);
      const destination = cityName(argString(args, 'destination_city'));
      const travelClass = argEnum(args, 'travel_class', CLASSES, 'economy');
      const km = distanceKm(cityForAirport(code), destination);
      if (km === 0) throw new ToolError(`${code} already serves ${destination}; no flight needed`);
      const jitter = 0.9 + 0.2 * hashFraction(s.seed, code, destination.toLowerCase());
      const cost = round((60 + 0.09 * km) * jitter * CLASS_FACTOR[travelClass], 2);
      return {
        cost,
        currency: 'USD',
        airport_code: code,
        destination_city: destination,
        travel_class: travelClass,
      };
    },
    convert_currency(_s, args) {
      const cost = argNumber(args, 'cost', { min: 0 });
      const from = argEnum(args, 'currency', CURRENCIES);
      const to = argEnum(args, 'target_currency', CURRENCIES);
      return { cost: convert(cost, from, to), currency: to, rate: round(USD_VALUE[from] / USD_VALUE[to], 6) };
    },
    get_card_info(s, args) {
      const type = argEnum(args, 'card_type', CARD_TYPES);
      const entry = Object.entries(s.cards).find(([, c]) => c.card_type === type);
      if (!entry) throw new ToolError(`no ${type} card on file`);
      const [cardId, card] = entry;
      return { card_id: cardId, balance: card.balance, currency: card.currency };
    },
    book_flight(s, args) {
      const cardId = argString(args, 'card_id');
      const card = s.cards[cardId];
      if (!card) throw new ToolError(`card not found: ${cardId}`);
      const code = airportCode(args);
      const destination = cityName(argString(args, 'destination_city'));
      const amount = argNumber(args, 'cost', { min: 0 });
      if (amount === 0) throw new ToolError('cost must be greater than 0');
      const currency = argEnum(args, 'currency', CURRENCIES, 'USD');
      const travelClass = argEnum(args, 'travel_class', CLASSES, 'economy');
      const charge = convert(amount, currency, card.currency);
      if (charge > card.balance) {
        throw new ToolError(
          `insufficient balance on ${cardId}: ${charge} ${card.currency} needed, ${card.balance} available`,
        );
      }
      card.balance = round(card.balance - charge, 2);
      s.counter += 1;
      const bookingId = makeId('BK', s.seed, s.counter);
      s.bookings[bookingId] = {
        card_id: cardId,
        airport_code: code,
        destination_city: destination,
        travel_class: travelClass,
        cost: charge,
        currency: card.currency,
        status: 'confirmed',
      };
      return {
        booking_id: bookingId,
        cost: charge,
        currency: card.currency,
        remaining_balance: card.balance,
      };
    },
    get_booking_details(s, args) {
      const [id, b] = requireBooking(s, args);
      return {
        booking_id: id,
        status: b.status,
        airport_code: b.airport_code,
        destination_city: b.destination_city,
        travel_class: b.travel_class,
        cost: b.cost,
        currency: b.currency,
        card_id: b.card_id,
      };
    },
    cancel_booking(s, args) {
      const [id, b] = requireBooking(s, args);
      if (b.status === 'cancelled') throw new ToolError(`booking ${id} is already cancelled`);
      const card = s.cards[b.card_id];
      if (card) card.balance = round(card.balance + b.cost, 2);
      b.status = 'cancelled';
      return { booking_id: id, status: 'cancelled', refund_amount: b.cost, currency: b.currency };
    },
    get_distance(_s, args) {
      const km = distanceKm(argString(args, 'origin_city'), argString(args, 'destination_city'));
      const unit = argEnum(args, 'unit', ['km', 'miles'], 'km');
      return { distance: unit === 'km' ? km : round(km / KM_PER_MILE, 1), unit };
    },
    estimate_travel_time(_s, args) {
      const distance = argNumber(args, 'distance', { min: 0 });
      const unit = argEnum(args, 'unit', ['km', 'miles'], 'km');
      const mode = argEnum(args, 'mode', ['car', 'train', 'plane']);
      const km = unit === 'km' ? distance : distance * KM_PER_MILE;
      const speed = { car: 80, train: 120, plane: 800 }[mode];
      const hours = round(km / speed + (mode === 'plane' ? 1 : 0), 2);
      const minutes = Math.round(hours * 60);
      return { hours, formatted: `${Math.floor(minutes / 60)}h ${minutes % 60}m` };
    },
  },
});
