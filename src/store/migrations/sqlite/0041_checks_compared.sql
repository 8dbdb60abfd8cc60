-- SQLite builds the values of a CHECK (x IN ('a', 'b', 'c')) into an ephemeral table every time
-- a statement checks it (lists of three values or more): on every message, conversation and
-- outbox row written, about 19,000 instructions each (docs/BENCHMARK.md). The same checks as
-- comparisons cost none and mean the same, NULL included. They are rewritten in place, the
-- documented way to change a constraint that every row already meets
-- (https://www.sqlite.org/lang_altertable.html#otheralter): the rows are not touched. RESET
-- makes this connection read the schema again; the table made and dropped after moves the
-- schema's version on, so that every other connection reads it again too. No CHECK may use an
-- IN list from here on (test_store.c looks).
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql,
	'assignment IN (''manual'', ''round_robin'', ''balanced'')',
	'assignment = ''manual'' OR assignment = ''round_robin'' OR assignment = ''balanced''')
WHERE type = 'table' AND name = 'teams';
UPDATE sqlite_master SET sql = replace(sql,
	'status IN (''routing'', ''open'', ''pending'', ''snoozed'', ''resolved'')',
	'status = ''routing'' OR status = ''open'' OR status = ''pending'' OR status = ''snoozed'' OR status = ''resolved''')
WHERE type = 'table' AND name = 'conversations';
UPDATE sqlite_master SET sql = replace(replace(replace(sql,
	'direction IN (''in'', ''out'')',
	'direction = ''in'' OR direction = ''out'''),
	'sender IN (''contact'', ''agent'', ''routing'', ''provider_app'')',
	'sender = ''contact'' OR sender = ''agent'' OR sender = ''routing'' OR sender = ''provider_app'''),
	'status IN (''received'', ''queued'', ''sent'', ''delivered'', ''read'', ''failed'')',
	'status = ''received'' OR status = ''queued'' OR status = ''sent'' OR status = ''delivered'' OR status = ''read'' OR status = ''failed''')
WHERE type = 'table' AND name = 'messages';
UPDATE sqlite_master SET sql = replace(sql,
	'state IN (''pending'', ''sending'', ''failed'')',
	'state = ''pending'' OR state = ''sending'' OR state = ''failed''')
WHERE type = 'table' AND name = 'outbox';
UPDATE sqlite_master SET sql = replace(replace(sql,
	'kind IN (''whatsapp'', ''messenger'', ''instagram'', ''telegram'', ''webchat'')',
	'kind = ''whatsapp'' OR kind = ''messenger'' OR kind = ''instagram'' OR kind = ''telegram'' OR kind = ''webchat'''),
	'telegram_mode IN (''webhook'', ''polling'')',
	'telegram_mode = ''webhook'' OR telegram_mode = ''polling''')
WHERE type = 'table' AND name = 'channels';
UPDATE sqlite_master SET sql = replace(replace(sql,
	'kind IN (''image'', ''audio'', ''video'', ''document'', ''sticker'')',
	'kind = ''image'' OR kind = ''audio'' OR kind = ''video'' OR kind = ''document'' OR kind = ''sticker'''),
	'state IN (''pending'', ''ready'', ''failed'')',
	'state = ''pending'' OR state = ''ready'' OR state = ''failed''')
WHERE type = 'table' AND name = 'media';
UPDATE sqlite_master SET sql = replace(sql,
	'state IN (''pending'', ''sending'', ''waiting'', ''delivered'')',
	'state = ''pending'' OR state = ''sending'' OR state = ''waiting'' OR state = ''delivered''')
WHERE type = 'table' AND name = 'webhook_deliveries';
UPDATE sqlite_master SET sql = replace(replace(sql,
	'role IN (''admin'', ''agent'', ''restricted'')',
	'role = ''admin'' OR role = ''agent'' OR role = ''restricted'''),
	'availability IN (''online'', ''away'', ''offline'')',
	'availability = ''online'' OR availability = ''away'' OR availability = ''offline''')
WHERE type = 'table' AND name = 'users';
UPDATE sqlite_master SET sql = replace(replace(sql,
	'kind IN (''first'', ''next'')',
	'kind = ''first'' OR kind = ''next'''),
	'outcome IN (''met'', ''missed'', ''dropped'')',
	'outcome = ''met'' OR outcome = ''missed'' OR outcome = ''dropped''')
WHERE type = 'table' AND name = 'response_targets';
UPDATE sqlite_master SET sql = replace(sql,
	'kind IN (''image'', ''audio'', ''video'', ''document'')',
	'kind = ''image'' OR kind = ''audio'' OR kind = ''video'' OR kind = ''document''')
WHERE type = 'table' AND name = 'uploads';
UPDATE sqlite_master SET sql = replace(sql,
	'state IN (''asked'', ''answered'', ''dropped'')',
	'state = ''asked'' OR state = ''answered'' OR state = ''dropped''')
WHERE type = 'table' AND name = 'csat_surveys';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_reread (x);
DROP TABLE schema_reread;
