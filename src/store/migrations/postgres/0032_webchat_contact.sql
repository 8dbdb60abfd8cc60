-- Whether a web chat's widget asks the visitor's name and e-mail before the chat, and the
-- e-mail a visitor gave (its contact gets it with the first message).
ALTER TABLE channels ADD COLUMN ask_contact BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webchat_visitors ADD COLUMN email TEXT;
