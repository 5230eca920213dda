-- The web app's own tables as it created them before credit packs (SQLAlchemy's create_all on
-- PostgreSQL): SERIAL ids, INTEGER counters, VARCHAR text, TIMESTAMP WITHOUT TIME ZONE times and
-- real BOOLEANs. Never run against an existing database: `db init` and the expected-schema
-- model start here, and databases that already have these tables record it as their baseline.
CREATE TABLE users (
	id SERIAL NOT NULL,
	email VARCHAR NOT NULL,
	hashed_password VARCHAR NOT NULL,
	full_name VARCHAR,
	is_active BOOLEAN NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	stripe_customer_id VARCHAR,
	subscription_tier VARCHAR NOT NULL,
	subscription_status VARCHAR,
	stripe_subscription_id VARCHAR,
	monthly_credits INTEGER NOT NULL,
	credits_used_this_month INTEGER NOT NULL,
	credits_reset_date TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_users_email ON users (email);
CREATE INDEX ix_users_stripe_customer_id ON users (stripe_customer_id);

CREATE TABLE api_keys (
	id SERIAL NOT NULL,
	user_id INTEGER NOT NULL,
	name VARCHAR NOT NULL,
	key_prefix VARCHAR(16) NOT NULL,
	key_hash VARCHAR NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	last_used_at TIMESTAMP WITHOUT TIME ZONE,
	is_active BOOLEAN NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE,
	UNIQUE (key_hash)
);
CREATE INDEX ix_api_keys_user_id ON api_keys (user_id);

CREATE TABLE tasks (
	id SERIAL NOT NULL,
	user_id INTEGER NOT NULL,
	tool VARCHAR NOT NULL,
	status VARCHAR NOT NULL,
	credits_charged INTEGER NOT NULL,
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_tasks_user_id ON tasks (user_id);
