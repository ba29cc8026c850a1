#!/usr/bin/env node
// React and Ink run their development builds unless told otherwise, several times slower per frame.
// Set before anything imports them, which is why the program itself is loaded afterwards.
process.env['NODE_ENV'] ??= 'production';
await import('./source/main.js');
