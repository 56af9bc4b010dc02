// Preloaded into a child process by a test (`node --import <this file> main.js ...`): at exit it prints how long the
// process ran after its first outgoing TCP connection attempt. A bound on "fails within the connect timeout" then
// excludes Node's start-up and module loading, which take seconds on a loaded machine and promise nothing.
import net from 'node:net';

let firstAttempt;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  firstAttempt ??= performance.now();
  return connect.apply(this, args);
};
process.on('exit', () => {
  if (firstAttempt !== undefined) process.stderr.write(`connect-timer: ${Math.round(performance.now() - firstAttempt)} ms\n`);
});
