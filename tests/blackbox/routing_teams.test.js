// The teams the saved routing sends to are kept beside it (routing_teams), so the database
// refuses to delete one; migration 0014 fills that table from the configurations saved before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sql } from './lib/server.js';
import { adminClient, assertError } from './lib/client.js';

async function teamsAndRouting(admin) {
  const ids = {};
  for (const name of ['Ventas', 'Soporte', 'Libre']) ids[name] = (await admin.post('/api/v1/teams', { name })).json.team.id;
  const r = await admin.put('/api/v1/routing', {
    welcome_message: 'Hola', fallback_message: 'No te entiendo',
    options: [{ answers: ['comprar'], team: 'Ventas' }, { answers: ['ayuda'], team: 'Soporte' }, { answers: ['horario'], reply: 'De 9 a 18' }],
  });
  assert.equal(r.status, 200, r.text);
  return ids;
}

test('a team routing sends to cannot be deleted until the routing stops naming it', async () => {
  const s = await startServer();
  try {
    const admin = await adminClient(s);
    const ids = await teamsAndRouting(admin);
    assertError(await admin.del(`/api/v1/teams/${ids.Ventas}`), 409, 'conflict');
    assert.equal(sql(s, `SELECT count(*) FROM teams WHERE id = ${ids.Ventas}`), '1');
    assert.equal((await admin.del(`/api/v1/teams/${ids.Libre}`)).status, 200);
    // Saved again without Ventas: now it can go, and Soporte still cannot.
    const r = await admin.put('/api/v1/routing', {
      welcome_message: 'Hola', fallback_message: 'No te entiendo', options: [{ answers: ['ayuda'], team: 'Soporte' }],
    });
    assert.equal(r.status, 200, r.text);
    assert.equal((await admin.del(`/api/v1/teams/${ids.Ventas}`)).status, 200);
    assertError(await admin.del(`/api/v1/teams/${ids.Soporte}`), 409, 'conflict');
  } finally {
    await s.stop();
  }
});

test('a database from before the table learns the teams its saved routing names', async () => {
  const s = await startServer();
  const admin = await adminClient(s);
  const ids = await teamsAndRouting(admin);
  await s.stop({ keepDir: true });
  // Back to schema 13: the routing configuration saved, no routing_teams (and nothing of the
  // migrations after it).
  sql(s, `DROP TABLE uploads; DROP TABLE routing_teams; DROP INDEX conversations_snoozed; DROP TABLE media; DROP TABLE files;
    DROP TABLE webhook_attempts; DROP TABLE webhook_deliveries; DROP TABLE webhook_subscriptions; DROP TABLE webhooks;
    DROP INDEX contacts_phone; DROP INDEX contacts_email;
    DROP TABLE provider_calls; DROP TABLE whatsapp_templates; DROP INDEX channels_templates_due;
    ALTER TABLE channels DROP COLUMN templates_due_at; ALTER TABLE channels DROP COLUMN waba_id;
    DROP TABLE business_hours; DROP INDEX conversations_queued;
    ALTER TABLE conversations DROP COLUMN queued_until;
    DROP TABLE response_targets; DROP INDEX conversations_due; DROP INDEX conversations_reassign;
    ALTER TABLE conversations DROP COLUMN due_at; ALTER TABLE conversations DROP COLUMN reassign_at;
    ALTER TABLE teams DROP COLUMN first_response_minutes; ALTER TABLE teams DROP COLUMN next_response_minutes;
    ALTER TABLE teams DROP COLUMN reassign_after_minutes;
    DROP TABLE secret_key; ALTER TABLE conversation_events DROP COLUMN detail; ALTER TABLE teams DROP COLUMN reply_assigns;
    DROP TABLE webchat_stream_tickets; ALTER TABLE teams DROP COLUMN reassign_offline; ALTER TABLE conversations DROP COLUMN welcome_deferred; DELETE FROM schema_migrations WHERE version >= 14;`);
  const again = await startServer({ dir: s.dir });
  try {
    assert.equal(sql(again, 'SELECT group_concat(team_id) FROM (SELECT team_id FROM routing_teams ORDER BY team_id) t'),
      `${ids.Ventas},${ids.Soporte}`);
    const admin2 = await adminClient(again);
    assertError(await admin2.del(`/api/v1/teams/${ids.Soporte}`), 409, 'conflict');
  } finally {
    await again.stop();
  }
});
