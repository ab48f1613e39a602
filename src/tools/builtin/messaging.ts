import { ToolError } from '../types';
import {
  Args,
  argBoolean,
  argEnum,
  argString,
  byText,
  defineToolSet,
  fnv1a,
  Hints,
  makeId,
  present,
} from './util';

const ME = 'usr_me';
const STATUSES = ['online', 'away', 'offline'] as const;
/** Messages get clock-free timestamps: a fixed start plus a few minutes per message sent. */
const EPOCH = Date.UTC(2024, 5, 3, 9, 0, 0);

type User = { user_name: string; blocked: boolean; status: (typeof STATUSES)[number] };
type Message = { seq: number; from: string; to: string; message: string; read: boolean };
type MessagingState = {
  seed: number;
  counter: number;
  users: { [userId: string]: User };
  messages: { [messageId: string]: Message };
};

const CONTACTS = [
  'Alice Johnson',
  'Bob Smith',
  'Charlie Brown',
  'Diana Prince',
  'Ethan Hunt',
  'Fiona Gallagher',
];
const INBOX: [from: string, to: string, text: string][] = [
  ['Alice Johnson', '', 'Are we still on for lunch tomorrow at noon?'],
  ['Bob Smith', '', 'The quarterly report is ready for your review.'],
  ['', 'Diana Prince', 'Thanks for the birthday wishes!'],
  ['Charlie Brown', '', "Can you send me the slides from today's meeting?"],
  ['Alice Johnson', '', 'Also, could you bring the project notes?'],
];

function timestamp(seq: number): string {
  return new Date(EPOCH + seq * 7 * 60_000).toISOString();
}

function addUser(s: MessagingState, name: string): string {
  const h = fnv1a(`${s.seed}/${name.toLowerCase()}`);
  let id = `usr_${(h & 0xffff).toString(16).padStart(4, '0')}`;
  for (let i = 2; id in s.users || id === ME; i++)
    id = `usr_${(h & 0xffff).toString(16).padStart(4, '0')}_${i}`;
  s.users[id] = {
    user_name: name,
    blocked: false,
    status: STATUSES[(h >>> 16) % STATUSES.length] ?? 'online',
  };
  return id;
}

function initialState(seed: number): MessagingState {
  const s: MessagingState = { seed, counter: 0, users: {}, messages: {} };
  const ids = new Map(CONTACTS.map((name) => [name, addUser(s, name)]));
  for (const [from, to, message] of INBOX) {
    s.counter += 1;
    s.messages[makeId('MSG', seed, s.counter)] = {
      seq: s.counter,
      from: ids.get(from) ?? ME,
      to: ids.get(to) ?? ME,
      message,
      read: false,
    };
  }
  return s;
}

function requireUser(s: MessagingState, args: Args): [string, User] {
  const id = argString(args, 'user_id');
  const user = s.users[id];
  if (!user) throw new ToolError(`user not found: ${id}`);
  return [id, user];
}

function requireMessage(s: MessagingState, args: Args): [string, Message] {
  const id = argString(args, 'message_id');
  const m = s.messages[id];
  if (!m) throw new ToolError(`message not found: ${id}`);
  return [id, m];
}

/** Full name, else a unique first name or prefix; ambiguity is an error a real app would show too. */
function lookupUser(s: MessagingState, name: string): string {
  const wanted = name.trim().toLowerCase();
  const users = Object.entries(s.users);
  const exact = users.filter(([, u]) => u.user_name.toLowerCase() === wanted);
  const first = users.filter(([, u]) => u.user_name.toLowerCase().split(' ')[0] === wanted);
  const prefix = users.filter(([, u]) => u.user_name.toLowerCase().startsWith(wanted));
  const hits = exact.length > 0 ? exact : first.length > 0 ? first : prefix;
  if (hits.length === 1 && hits[0]) return hits[0][0];
  if (hits.length > 1) {
    throw new ToolError(`several contacts match "${name}": ${hits.map(([, u]) => u.user_name).join(', ')}`);
  }
  const known = users.map(([, u]) => u.user_name).join(', ');
  throw new ToolError(`no contact named "${name}" (contacts: ${known})`);
}

function sorted(s: MessagingState, keep: (m: Message) => boolean): [string, Message][] {
  return Object.entries(s.messages)
    .filter(([, m]) => keep(m))
    .sort(([, a], [, b]) => a.seq - b.seq);
}

/**
 * Contacts by full name (an exact name never hits the "several contacts match" error), messages in the
 * order they were sent. A `user_id` must suit every function that takes one: send_message refuses blocked
 * users and get_latest_message (user_id optional) needs a message from them, so the ids listed are the
 * unblocked users who have written to us; only when there are none, all unblocked users.
 */
function valueHints(s: MessagingState): Hints {
  const users = Object.entries(s.users).sort(
    ([ia, a], [ib, b]) => byText(a.user_name, b.user_name) || byText(ia, ib),
  );
  const unblocked = users.filter(([, u]) => !u.blocked).map(([id]) => id);
  const writers = new Set(Object.values(s.messages).map((m) => m.from));
  const wrote = unblocked.filter((id) => writers.has(id));
  return {
    user_name: users.map(([, u]) => u.user_name),
    user_id: wrote.length > 0 ? wrote : unblocked,
    message_id: sorted(s, () => true).map(([id]) => id),
    priority: ['normal', 'high'],
    block: [true, false],
  };
}

export const messagingTools = defineToolSet<MessagingState>({
  name: 'messaging',
  initialState,
  valueHints,
  handlers: {
    get_user_id(s, args) {
      const id = lookupUser(s, argString(args, 'user_name'));
      return { user_id: id, user_name: s.users[id]?.user_name ?? '' };
    },
    add_contact(s, args) {
      const name = argString(args, 'user_name').replace(/\s+/g, ' ');
      const existing = Object.entries(s.users).find(
        ([, u]) => u.user_name.toLowerCase() === name.toLowerCase(),
      );
      if (existing) return { user_id: existing[0], user_name: existing[1].user_name };
      return { user_id: addUser(s, name), user_name: name };
    },
    get_user_status(s, args) {
      const [id, user] = requireUser(s, args);
      return { user_id: id, status: user.status };
    },
    send_message(s, args) {
      const [to, user] = requireUser(s, args);
      const message = argString(args, 'message');
      argEnum(args, 'priority', ['normal', 'high'], 'normal');
      if (user.blocked) throw new ToolError(`cannot message ${user.user_name}: the user is blocked`);
      s.counter += 1;
      const id = makeId('MSG', s.seed, s.counter);
      s.messages[id] = { seq: s.counter, from: ME, to, message, read: true };
      return { message_id: id, user_id: to, timestamp: timestamp(s.counter) };
    },
    get_latest_message(s, args) {
      const from = present(args, 'user_id') ? requireUser(s, args)[0] : undefined;
      const received = sorted(s, (m) => m.to === ME && (from === undefined || m.from === from));
      const latest = received[received.length - 1];
      if (!latest) throw new ToolError(from ? `no messages from ${from}` : 'the inbox is empty');
      const [id, m] = latest;
      return { message_id: id, user_id: m.from, message: m.message, timestamp: timestamp(m.seq) };
    },
    read_message(s, args) {
      const [id, m] = requireMessage(s, args);
      m.read = true;
      const received = m.to === ME;
      return {
        message_id: id,
        user_id: received ? m.from : m.to,
        message: m.message,
        timestamp: timestamp(m.seq),
        direction: received ? 'received' : 'sent',
      };
    },
    delete_message(s, args) {
      const [id] = requireMessage(s, args);
      delete s.messages[id];
      return { message_id: id, deleted: true };
    },
    get_conversation(s, args) {
      const [id] = requireUser(s, args);
      const ids = sorted(s, (m) => m.from === id || m.to === id).map(([mid]) => mid);
      return { user_id: id, message_ids: ids, count: ids.length };
    },
    block_user(s, args) {
      const [id, user] = requireUser(s, args);
      user.blocked = argBoolean(args, 'block', true);
      return { user_id: id, blocked: user.blocked };
    },
  },
});
