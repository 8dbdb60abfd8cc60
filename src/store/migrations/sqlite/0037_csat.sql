-- Satisfaction: the question a team asks when one of its conversations is resolved
-- (teams.csat_question; NULL: it asks nothing), and each time it was asked: the team, who
-- resolved the conversation, and the customer's rating (1 to 5) once they answered. A survey
-- is 'asked' until the customer's next message answers it ('answered') or is not a rating
-- ('dropped').
ALTER TABLE teams ADD COLUMN csat_question TEXT;
CREATE TABLE csat_surveys (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL,
	user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
	state TEXT NOT NULL CHECK (state IN ('asked', 'answered', 'dropped')),
	rating INTEGER CHECK (rating BETWEEN 1 AND 5),
	asked_at INTEGER NOT NULL,
	answered_at INTEGER
);
CREATE INDEX csat_surveys_conversation ON csat_surveys (conversation_id);
CREATE INDEX csat_surveys_answered ON csat_surveys (account_id, answered_at);
