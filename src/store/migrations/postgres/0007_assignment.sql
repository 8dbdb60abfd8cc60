-- How a conversation arriving in a team is given to a person.
ALTER TABLE teams ADD COLUMN assignment TEXT NOT NULL DEFAULT 'manual'
	CHECK (assignment IN ('manual', 'round_robin', 'balanced'));
ALTER TABLE teams ADD COLUMN online_only BIGINT NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN max_open BIGINT NOT NULL DEFAULT 0; -- per agent; 0: no cap
ALTER TABLE teams ADD COLUMN last_assigned_user_id BIGINT; -- where round robin goes on from
