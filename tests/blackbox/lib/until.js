// The one way a test waits: until a condition holds, never for a fixed time. Polls check()
// (sync or async) until it returns something truthy, and resolves with that value; fails
// the test after timeoutMs, naming what it waited for (a string, or a function called then,
// so the message can show the state at the deadline).
import assert from 'node:assert/strict';

export async function until(check, what = 'a condition', timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
