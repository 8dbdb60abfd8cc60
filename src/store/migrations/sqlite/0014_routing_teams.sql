-- The teams the saved routing configuration sends conversations to, written with it: the
-- database itself refuses to delete a team in use (ON DELETE RESTRICT).
CREATE TABLE routing_teams (
	account_id INTEGER NOT NULL REFERENCES routing_configs (account_id) ON DELETE CASCADE,
	team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
	PRIMARY KEY (account_id, team_id)
);
INSERT OR IGNORE INTO routing_teams (account_id, team_id)
	SELECT r.account_id, json_extract(o.value, '$.team')
	FROM routing_configs r, json_each(r.document, '$.options') o
	WHERE json_type(o.value, '$.team') = 'integer'
	AND json_extract(o.value, '$.team') IN (SELECT id FROM teams);
