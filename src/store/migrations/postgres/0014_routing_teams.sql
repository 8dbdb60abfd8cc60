-- The teams the saved routing configuration sends conversations to, written with it: the
-- database itself refuses to delete a team in use (ON DELETE RESTRICT).
CREATE TABLE routing_teams (
	account_id BIGINT NOT NULL REFERENCES routing_configs (account_id) ON DELETE CASCADE,
	team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
	PRIMARY KEY (account_id, team_id)
);
INSERT INTO routing_teams (account_id, team_id)
	SELECT r.account_id, (o.value ->> 'team')::bigint
	FROM routing_configs r, jsonb_array_elements(r.document::jsonb -> 'options') o
	WHERE jsonb_typeof(o.value -> 'team') = 'number' AND o.value ->> 'team' ~ '^[0-9]+$'
	AND (o.value ->> 'team')::bigint IN (SELECT id FROM teams)
	ON CONFLICT DO NOTHING;
