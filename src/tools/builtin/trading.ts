import { ToolError } from '../types';
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

/** [symbol, canonical name, typical price, other names (the first is how people usually say it)]. */
const COMPANIES: [string, string, number, string[]][] = [
  ['AAPL', 'Apple Inc.', 190, ['Apple']],
  ['GOOGL', 'Alphabet Inc.', 170, ['Alphabet', 'Google']],
  ['MSFT', 'Microsoft Corporation', 420, ['Microsoft']],
  ['AMZN', 'Amazon.com Inc.', 185, ['Amazon']],
  ['TSLA', 'Tesla Inc.', 240, ['Tesla']],
  ['NVDA', 'NVIDIA Corporation', 120, ['Nvidia']],
  ['META', 'Meta Platforms Inc.', 500, ['Meta', 'Facebook']],
  ['NFLX', 'Netflix Inc.', 650, ['Netflix']],
  ['INTC', 'Intel Corporation', 30, ['Intel']],
  ['AMD', 'Advanced Micro Devices Inc.', 160, ['AMD', 'Advanced Micro Devices']],
];
const QUANTITY_HINTS = [1, 2, 3, 5, 10, 20, 50, 100];

type Order = {
  symbol: string;
  order_type: 'buy' | 'sell';
  price: number;
  quantity: number;
  status: 'filled' | 'open' | 'cancelled';
};
type TradingState = {
  seed: number;
  counter: number;
  cash: number;
  holdings: { [symbol: string]: number };
  watchlist: string[];
  prices: { [symbol: string]: number };
  orders: { [orderId: string]: Order };
};

function initialState(seed: number): TradingState {
  const prices = Object.fromEntries(
    COMPANIES.map(([symbol, , base]) => [symbol, round(base * (0.9 + 0.2 * hashFraction(seed, symbol)), 2)]),
  );
  return {
    seed,
    counter: 0,
    cash: hashInt(8000, 15000, seed, 'cash'),
    holdings: { AAPL: 10, MSFT: 5 },
    watchlist: ['NVDA', 'TSLA'],
    prices,
    orders: {},
  };
}

function symbolArg(args: Args): string {
  const symbol = argString(args, 'symbol').toUpperCase().replace(/^\$/, '');
  if (!/^[A-Z]{1,5}(\.[A-Z])?$/.test(symbol)) throw new ToolError(`"${symbol}" is not a valid ticker symbol`);
  return symbol;
}

/** Listed symbols have seeded prices; any other well-formed ticker trades at a price derived from its name. */
function priceOf(s: TradingState, symbol: string): number {
  return s.prices[symbol] ?? round(5 + 495 * hashFraction(s.seed, 'price', symbol), 2);
}

function requireOrder(s: TradingState, args: Args): [string, Order] {
  const id = argString(args, 'order_id');
  const order = s.orders[id];
  if (!order) throw new ToolError(`order not found: ${id}`);
  return [id, order];
}

/**
 * Orders hinted are buys, with quantities that the cash covers at every hinted price (the listed market
 * prices, in symbol order; prices no quantity fits are dropped), so any symbol/price/quantity triple can
 * be placed. A sell would need the symbol held, which per-name hints cannot pair. Only open orders are
 * listed: filled and cancelled ones can be looked up but not cancelled.
 */
function valueHints(s: TradingState): Hints {
  const listed = COMPANIES.map(([symbol]) => symbol).sort(byText);
  let prices = listed.map((symbol) => priceOf(s, symbol));
  let quantity: number[] = [];
  while (prices.length > 0) {
    const top = Math.max(...prices);
    quantity = QUANTITY_HINTS.filter((q) => round(q * top, 2) <= s.cash);
    if (quantity.length > 0) break;
    prices = prices.filter((p) => p < top);
  }
  return {
    company_name: COMPANIES.map(([, , , names]) => names[0] ?? '')
      .filter((n) => n !== '')
      .sort(byText),
    symbol: [...new Set([...listed, ...Object.keys(s.holdings), ...s.watchlist])].sort(byText),
    price: prices,
    quantity,
    order_type: quantity.length > 0 ? ['buy'] : [],
    balance: [s.cash],
    order_id: Object.keys(s.orders)
      .filter((id) => s.orders[id]?.status === 'open')
      .sort(byText),
  };
}

export const tradingTools = defineToolSet<TradingState>({
  name: 'trading',
  initialState,
  valueHints,
  handlers: {
    get_symbol_by_name(_s, args) {
      const name = argString(args, 'company_name');
      const wanted = name
        .toLowerCase()
        .replace(/[.,]/g, '')
        .replace(/\s+(inc|corp|corporation|co|ltd|platforms)$/, '');
      const hit = COMPANIES.find(([symbol, full, , aliases]) => {
        return (
          aliases.some((a) => a.toLowerCase() === wanted) ||
          symbol.toLowerCase() === wanted ||
          full.toLowerCase() === name.toLowerCase()
        );
      });
      if (hit) return { symbol: hit[0], company_name: hit[1] };
      // Unlisted companies get a ticker built from their name, as small exchanges do.
      const letters = name.toUpperCase().replace(/[^A-Z]/g, '');
      if (letters === '') throw new ToolError(`no company matches "${name}"`);
      return { symbol: letters.slice(0, 4), company_name: name };
    },
    get_stock_price(s, args) {
      const symbol = symbolArg(args);
      return { symbol, price: priceOf(s, symbol) };
    },
    get_account_balance: (s) => ({ balance: s.cash, currency: 'USD' }),
    calculate_max_quantity(_s, args) {
      const balance = argNumber(args, 'balance', { min: 0 });
      const price = argNumber(args, 'price', { min: 0 });
      if (price === 0) throw new ToolError('price must be greater than 0');
      const quantity = Math.floor(balance / price + 1e-9);
      return { quantity, total_cost: round(quantity * price, 2) };
    },
    place_order(s, args) {
      const symbol = symbolArg(args);
      const price = argNumber(args, 'price', { min: 0 });
      const quantity = argNumber(args, 'quantity', { min: 1, integer: true });
      const side = argEnum(args, 'order_type', ['buy', 'sell']);
      if (price === 0) throw new ToolError('price must be greater than 0');
      const total = round(price * quantity, 2);
      const market = priceOf(s, symbol);
      const fills = side === 'buy' ? price >= market : price <= market;
      // Open orders reserve what they would spend, so cancelling must give it back.
      if (side === 'buy') {
        if (total > s.cash)
          throw new ToolError(`insufficient funds: order needs ${total} USD, ${s.cash} available`);
        s.cash = round(s.cash - total, 2);
        if (fills) s.holdings[symbol] = (s.holdings[symbol] ?? 0) + quantity;
      } else {
        const held = s.holdings[symbol] ?? 0;
        if (quantity > held)
          throw new ToolError(`insufficient shares: selling ${quantity} ${symbol}, ${held} held`);
        s.holdings[symbol] = held - quantity;
        if (fills) s.cash = round(s.cash + total, 2);
      }
      s.counter += 1;
      const id = makeId('ORD', s.seed, s.counter);
      const status = fills ? 'filled' : 'open';
      s.orders[id] = { symbol, order_type: side, price, quantity, status };
      return { order_id: id, status, symbol, total };
    },
    get_order_status(s, args) {
      const [id, o] = requireOrder(s, args);
      return {
        order_id: id,
        status: o.status,
        symbol: o.symbol,
        order_type: o.order_type,
        price: o.price,
        quantity: o.quantity,
      };
    },
    cancel_order(s, args) {
      const [id, o] = requireOrder(s, args);
      if (o.status !== 'open') throw new ToolError(`order ${id} is ${o.status} and cannot be cancelled`);
      if (o.order_type === 'buy') s.cash = round(s.cash + o.price * o.quantity, 2);
      else s.holdings[o.symbol] = (s.holdings[o.symbol] ?? 0) + o.quantity;
      o.status = 'cancelled';
      return { order_id: id, status: 'cancelled' };
    },
    add_to_watchlist(s, args) {
      const symbol = symbolArg(args);
      if (!s.watchlist.includes(symbol)) s.watchlist.push(symbol);
      return { symbol, watchlist: [...s.watchlist] };
    },
    get_holding(s, args) {
      const symbol = symbolArg(args);
      const quantity = s.holdings[symbol] ?? 0;
      return { symbol, quantity, market_value: round(quantity * priceOf(s, symbol), 2) };
    },
  },
});
