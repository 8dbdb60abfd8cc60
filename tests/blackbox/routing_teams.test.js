// The teams the saved routing sends to are kept beside it (routing_teams), so the database
// refuses to delete one; migration 0014 fills that table from the configurations saved before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.js';
import { sql, databaseAt } from './lib/db.js';
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
  // Schema 13: teams and a routing configuration that names two of them (by id, as saved),
  // and no routing_teams yet.
  const dir = tempDir();
  const old = databaseAt(dir, 13);
  sql(old, `INSERT INTO teams (id, account_id, name, name_key, created_at, updated_at)
      VALUES (4, 1, 'Ventas', 'ventas', 1, 1), (5, 1, 'Soporte', 'soporte', 1, 1), (6, 1, 'Libre', 'libre', 1, 1);
    INSERT INTO routing_configs (account_id, document, updated_at) VALUES (1, '{"welcome_message": "Hola",
      "fallback_message": "No te entiendo", "options": [{"answers": ["comprar"], "team": 4},
      {"answers": ["ayuda"], "team": 5}, {"answers": ["horario"], "reply": "De 9 a 18"}]}', 1);`);
  const again = await startServer({ dir });
  try {
    assert.equal(sql(again, 'SELECT group_concat(team_id) FROM (SELECT team_id FROM routing_teams ORDER BY team_id) t'), '4,5');
    const admin = await adminClient(again);
    assertError(await admin.del('/api/v1/teams/5'), 409, 'conflict');
    assert.equal((await admin.del('/api/v1/teams/6')).status, 200);
  } finally {
    await again.stop();
  }
});
