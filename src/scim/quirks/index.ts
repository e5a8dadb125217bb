// Client quirks, one named function each; see entra.ts and okta.ts for who sends what.
export * from './entra.ts';
export * from './okta.ts';
