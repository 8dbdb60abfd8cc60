-- Provider calls that are not messages (Telegram's answerCallbackQuery and
-- editMessageReplyMarkup after a tap on the welcome's keyboard), queued in the transaction
-- that caused them and made once by the delivery worker.
CREATE TABLE provider_calls (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	channel_id INTEGER NOT NULL REFERENCES channels (id),
	method TEXT NOT NULL,
	params TEXT NOT NULL, -- JSON
	queued_at INTEGER NOT NULL
);
