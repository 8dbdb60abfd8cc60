// Runs telegram-test-api (a third-party emulator of the Bot API, npm) for tests of Centralita's
// Telegram path: on a free port of 127.0.0.1, with one bot token and one private-chat user
// who can write to the bot and read its replies. The emulator serves the bot side (getUpdates,
// sendMessage, …) close to, but not exactly as, the real Bot API: see README.md for what it
// does differently. It delivers webhooks without the secret token header, so webhook mode is
// tested with our own signed posts (postUpdate), never through the emulator.
import { createRequire } from 'node:module';
import net from 'node:net';
import { randomBytes, randomInt } from 'node:crypto';
import { makeTelegramUserUpdate } from './fake_provider.js';

const require = createRequire(import.meta.url);
const TelegramServer = require('telegram-test-api');

const HOST = '127.0.0.1';
const DEFAULT_WAIT_MS = 2000;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// The emulator takes a fixed port (0 would mean its default, 9000), so pick a free one and
// retry if another process takes it in between.
async function startServer(storeTimeout) {
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const server = new TelegramServer({ port, host: HOST, storeTimeout });
    try {
      await server.start();
      return server;
    } catch (e) {
      lastError = e;
      if (e.code !== 'EADDRINUSE') break;
    }
  }
  throw lastError;
}

// options: token (default a random one in Telegram's "<bot id>:<secret>" shape), userId,
// chatId (default userId), firstName, userName, storeTimeout (seconds the emulator keeps
// unread messages; default 60).
export async function startTelegramEmulator({
  token = `${randomInt(1e9, 2e9)}:TEST-${randomBytes(12).toString('base64url')}`,
  userId = 5123456789,
  chatId = userId,
  firstName = 'Marta',
  userName = 'marta',
  storeTimeout = 60,
} = {}) {
  const server = await startServer(storeTimeout);
  const client = server.getClient(token, { userId, chatId, firstName, userName, type: 'private' });
  const waiters = new Set();
  let lastReturned = 0;
  let webhookUpdateId = 1_000_000;
  let stopped = false;

  const emu = {
    url: server.config.apiURL,
    token,
    userId,
    chatId,
    server,
    client,
    get env() {
      return { CENTRALITA_TELEGRAM_API_URL: emu.url };
    },

    // The webhook the bot registered with setWebhook (as the emulator stored it), or null.
    webhook() {
      return server.webhooks[token] ? { ...server.webhooks[token] } : null;
    },

    // The user writes to the bot; the update waits for the bot's getUpdates. Resolves with the
    // update as getUpdates will serve it. Refuses while a webhook is set: the emulator would post
    // it without the secret token, so use postUpdate() for webhook mode.
    async sendFromUser(text, options = {}) {
      if (emu.webhook()) {
        throw new Error('a webhook is set: telegram-test-api would deliver without X-Telegram-Bot-Api-Secret-Token; use postUpdate()');
      }
      const isCommand = text.startsWith('/') && options.command !== false;
      const message = isCommand ? client.makeCommand(text, options) : client.makeMessage(text, options);
      await (isCommand ? server.addUserCommand(message) : server.addUserMessage(message));
      const stored = server.storage.userMessages.filter((u) => u.botToken === token).at(-1);
      return TelegramServer.formatUpdate(stored);
    },

    // Every message the bot sent to this user's chat so far (oldest first), as
    // { message_id, chat_id, text, params, at }: params is the sendMessage request as received.
    botReplies() {
      return server.storage.botMessages
        .filter((m) => m.botToken === token && String(m.message.chat_id) === String(chatId))
        .map((m) => ({ message_id: m.messageId, chat_id: m.message.chat_id, text: m.message.text, params: m.message, at: m.time }))
        .sort((a, b) => a.message_id - b.message_id);
    },

    // Resolves with the next n bot replies this user has not been handed yet (by an earlier
    // waitForBotReplies), or rejects after timeout ms.
    waitForBotReplies(n = 1, { timeout = DEFAULT_WAIT_MS } = {}) {
      return new Promise((resolve, reject) => {
        const take = () => {
          const fresh = emu.botReplies().filter((r) => r.message_id > lastReturned);
          if (fresh.length < n) return false;
          const got = fresh.slice(0, n);
          lastReturned = got.at(-1).message_id;
          return got;
        };
        const first = take();
        if (first) return resolve(first);
        if (stopped) return reject(new Error('telegram emulator is stopped'));
        const waiter = {
          check: () => {
            const got = take();
            if (got) finish(null, got);
          },
          fail: (e) => finish(e),
        };
        const timer = setTimeout(() => {
          const seen = emu.botReplies().map((r) => `  #${r.message_id} ${JSON.stringify(r.text)}`).join('\n') || '  (none)';
          finish(new Error(`telegram emulator: timed out after ${timeout} ms waiting for ${n} new bot repl${n === 1 ? 'y' : 'ies'}; all replies:\n${seen}`));
        }, timeout);
        const finish = (err, v) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          server.off('AddedBotMessage', waiter.check);
          if (err) reject(err);
          else resolve(v);
        };
        waiters.add(waiter);
        server.on('AddedBotMessage', waiter.check);
      });
    },

    // Posts an update from this user to url the way Telegram delivers a webhook, with
    // X-Telegram-Bot-Api-Secret-Token when secretToken is given. Resolves with
    // { status, text, update }.
    async postUpdate(url, text, { secretToken, updateId = ++webhookUpdateId, timeout = DEFAULT_WAIT_MS } = {}) {
      const update = makeTelegramUserUpdate(text, { updateId, messageId: updateId, chatId, userId, firstName, username: userName });
      const headers = { 'content-type': 'application/json' };
      if (secretToken != null) headers['x-telegram-bot-api-secret-token'] = secretToken;
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(update), signal: AbortSignal.timeout(timeout) });
      return { status: res.status, text: await res.text(), update };
    },

    // The user taps an inline button (callback_data `data`) of the bot's message messageId;
    // the callback query waits for the bot's getUpdates.
    async tap(messageId, data) {
      await client.sendCallback(client.makeCallbackQuery(data, { message: { message_id: messageId } }));
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      for (const w of [...waiters]) w.fail(new Error('telegram emulator stopped'));
      await server.stop();
    },
  };
  return emu;
}
