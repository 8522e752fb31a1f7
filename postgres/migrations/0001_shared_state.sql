-- The state that replicas of policybot serve share.

-- What the bot remembers of each chat: the recent questions, oldest first,
-- and the citations of its last answer (NULL before the first answer), for
-- 原文 N. chat is a hash of the transport's chat id.
CREATE TABLE chat_history (
    chat      text PRIMARY KEY,
    questions text[] NOT NULL DEFAULT '{}',
    last      jsonb,
    seen      timestamptz NOT NULL
);
CREATE INDEX chat_history_seen ON chat_history (seen);

-- The Q&A record: one row per question, in the order written (seq).
CREATE TABLE qa_entries (
    seq            bigserial PRIMARY KEY,
    id             text NOT NULL UNIQUE,
    at             timestamptz NOT NULL,
    channel        text NOT NULL,
    chat           text NOT NULL,
    question       text NOT NULL,
    history        jsonb NOT NULL DEFAULT '[]',
    answer         text NOT NULL,
    found          boolean NOT NULL,
    citations      jsonb NOT NULL DEFAULT '[]',
    latency_ms     bigint NOT NULL,
    corpus_version text NOT NULL DEFAULT '',
    error          text NOT NULL DEFAULT '',
    delivered      boolean NOT NULL,
    delivery_error text NOT NULL DEFAULT ''
);
CREATE INDEX qa_entries_at ON qa_entries (at);

-- The staff's marks; a later mark of an entry supersedes an earlier one.
CREATE TABLE qa_marks (
    seq     bigserial PRIMARY KEY,
    ref     text NOT NULL,
    good    boolean NOT NULL,
    comment text NOT NULL DEFAULT '',
    at      timestamptz NOT NULL
);
CREATE INDEX qa_marks_at ON qa_marks (at);

-- What staff taught retrieval.
CREATE TABLE taught (
    id        text PRIMARY KEY,
    question  text NOT NULL,
    chunk_id  text NOT NULL DEFAULT '',
    no_answer boolean NOT NULL DEFAULT false,
    answer_id text NOT NULL DEFAULT '',
    added     timestamptz NOT NULL
);

-- A counter per shared store, bumped in the same transaction as every
-- change, so that a replica finds out cheaply whether to reload.
CREATE TABLE store_versions (
    name    text PRIMARY KEY,
    version bigint NOT NULL
);
INSERT INTO store_versions (name, version) VALUES ('taught', 0);

-- Messages per sender per minute; subject is a hash of the sender.
CREATE TABLE rate_counts (
    subject      text NOT NULL,
    window_start timestamptz NOT NULL,
    n            integer NOT NULL,
    PRIMARY KEY (subject, window_start)
);
CREATE INDEX rate_counts_window ON rate_counts (window_start);

-- Message ids claimed by the replica that answers them.
CREATE TABLE message_claims (
    id      text PRIMARY KEY,
    expires timestamptz NOT NULL
);
CREATE INDEX message_claims_expires ON message_claims (expires);
