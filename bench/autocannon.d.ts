// autocannon ships no types; the bench uses its callback API with results read as plain JSON.
declare module 'autocannon';
