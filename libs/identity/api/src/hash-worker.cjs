// The password hasher process (see hasher.ts): bcrypt on its own libuv pool, at a lower CPU
// priority than the API. It receives pre-hashed values only (HMAC under the pepper), never a
// password, and answers each request by id. It exits when the API process goes away.
'use strict';
const bcrypt = require('bcrypt');

process.on('message', (msg) => {
  const work = msg.op === 'hash' ? bcrypt.hash(msg.value, msg.cost) : bcrypt.compare(msg.value, msg.hash);
  work.then(
    (result) => process.send({ id: msg.id, result }),
    (error) => process.send({ id: msg.id, error: String(error && error.message ? error.message : error) }),
  );
});
process.on('disconnect', () => process.exit(0));
