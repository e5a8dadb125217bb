// Client quirks, one named function each; see entra.ts, okta.ts and booleans.ts for who sends what.
export * from './booleans.ts';
export * from './entra.ts';
export * from './okta.ts';
