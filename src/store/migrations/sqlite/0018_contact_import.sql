-- The contact import matches rows to contacts by phone and by e-mail.
CREATE INDEX contacts_phone ON contacts (account_id, phone);
CREATE INDEX contacts_email ON contacts (account_id, email);
