#!/usr/bin/python3
"""Peer of `quicktools migrate packs`: the subscription -> credit-pack migration as the web
team's own one-off script would be written (SQLAlchemy ORM, the app's User model).

    migrate_orm.py DB
    migrate_orm.py postgresql://USER@HOST:PORT/DBNAME      (Debian's python3-psycopg2)

Adds the six credit-pack columns, then walks every user through the ORM and sets the default
policy: credits_balance = this month's unused allowance (never below 0), API access for pro and
business users whose subscription is active or trialing. Commits once and prints the product
document's summary (total users, total credits, users with API access).
Needs Debian's python3-sqlalchemy (1.4): run with /usr/bin/python3.
"""
import sys

from sqlalchemy import Boolean, Column, DateTime, Integer, String, create_engine, func, text
from sqlalchemy.orm import Session, declarative_base

Model = declarative_base()

NEW_COLUMNS = ("credits_balance INTEGER NOT NULL DEFAULT 10",
               "credits_purchased_total INTEGER NOT NULL DEFAULT 0",
               "credits_lifetime_used INTEGER NOT NULL DEFAULT 0",
               "api_access_unlocked BOOLEAN NOT NULL DEFAULT 0",
               "last_purchase_date DATETIME",
               "last_purchase_amount INTEGER")
# The same columns as SQLAlchemy's types are spelled on PostgreSQL.
NEW_COLUMNS_POSTGRES = ("credits_balance INTEGER NOT NULL DEFAULT 10",
                        "credits_purchased_total INTEGER NOT NULL DEFAULT 0",
                        "credits_lifetime_used INTEGER NOT NULL DEFAULT 0",
                        "api_access_unlocked BOOLEAN NOT NULL DEFAULT false",
                        "last_purchase_date TIMESTAMP WITHOUT TIME ZONE",
                        "last_purchase_amount INTEGER")


class User(Model):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String, unique=True)
    subscription_tier = Column(String)
    subscription_status = Column(String)
    monthly_credits = Column(Integer)
    credits_used_this_month = Column(Integer)
    credits_balance = Column(Integer, default=10)
    credits_purchased_total = Column(Integer, default=0)
    credits_lifetime_used = Column(Integer, default=0)
    api_access_unlocked = Column(Boolean, default=False)
    last_purchase_date = Column(DateTime)
    last_purchase_amount = Column(Integer)


def unused_allowance(user):
    return max((user.monthly_credits or 0) - (user.credits_used_this_month or 0), 0)


def keeps_api(user):
    return user.subscription_tier in ("pro", "business") and user.subscription_status in ("active", "trialing")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: migrate_orm.py DB|postgresql://...")
    postgres = sys.argv[1].startswith(("postgresql://", "postgres://"))
    engine = create_engine(sys.argv[1] if postgres else f"sqlite:///{sys.argv[1]}")
    with engine.begin() as conn:
        for column in NEW_COLUMNS_POSTGRES if postgres else NEW_COLUMNS:
            conn.execute(text(f"ALTER TABLE users ADD COLUMN {column}"))
    with Session(engine) as session:
        for user in session.query(User).order_by(User.id).yield_per(5000):
            user.credits_balance = unused_allowance(user)
            user.api_access_unlocked = keeps_api(user)
        session.commit()
        users = session.query(func.count(User.id)).scalar()
        credits = session.query(func.sum(User.credits_balance)).scalar()
        with_api = session.query(func.count(User.id)).filter(User.api_access_unlocked.is_(True)).scalar()
    print(f"Total users: {users}")
    print(f"Total credits in system: {credits}")
    print(f"Users with API access: {with_api}")


if __name__ == "__main__":
    main()
