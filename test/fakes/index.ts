export { answer, BrainError, toWireCalls } from './brain';
export type {
  Faults,
  FakeOptions,
  FakeServer,
  LogEntry,
  Outcome,
  Script,
  ScriptRequest,
  Scripted,
  WireFault,
} from './common';
export { WIRE_FAULTS } from './common';
export { startFakeGemini } from './gemini-server';
export { startFakeOpenAI } from './openai-server';
