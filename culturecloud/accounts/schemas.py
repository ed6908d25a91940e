from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class CodeRequestIn(Schema):
    phone: str = Field(..., max_length=32, description="Mainland China mobile number")


class CodeRequestOut(Schema):
    sent: bool
    expires_in: int
    resend_after: int


class VerifyIn(Schema):
    phone: str = Field(..., max_length=32)
    code: str = Field(..., max_length=12)
    accept_terms: bool = Field(False, description="Required to sign up a new number")
    issue_token: bool = Field(False, description="Return a bearer token instead of a session")
    token_name: str = Field("app", max_length=60)


class PasswordLoginIn(Schema):
    identifier: str = Field(..., max_length=64, description="Mobile number or username")
    password: str = Field(..., max_length=128)
    issue_token: bool = False
    token_name: str = Field("app", max_length=60)


class RegionRef(Schema):
    code: str
    name: str


class MeOut(Schema):
    id: int
    username: str
    kind: str
    phone_masked: str
    nickname: str
    avatar_url: str | None
    region: RegionRef | None
    interests: list[str]
    organisation_name: str
    points_balance: int
    real_name_verified: bool
    has_password: bool
    date_joined: dt.datetime


class LoginOut(Schema):
    user: MeOut
    created: bool = False
    token: str | None = None


class MyProfileIn(Schema):
    nickname: str | None = Field(None, max_length=40)
    region: str | None = Field(None, max_length=6, description="GB/T 2260 code; '' clears")
    interests: list[str] | None = Field(None, max_length=20)
    organisation_name: str | None = Field(None, max_length=120)


class KindIn(Schema):
    kind: str = Field(..., max_length=16)
    organisation_name: str = Field("", max_length=120)


class PasswordIn(Schema):
    old_password: str | None = Field(None, max_length=128)
    new_password: str = Field(..., max_length=128)


class RealNameIn(Schema):
    name: str = Field(..., max_length=60)
    id_number: str = Field(..., max_length=40)
    consent: bool = False


class RealNameOut(Schema):
    verified: bool
    name: str | None = None
    id_number: str | None = None
    verified_at: dt.datetime | None = None


class DeleteIn(Schema):
    confirm: bool = False
    password: str | None = Field(None, max_length=128)


class TokenIn(Schema):
    name: str = Field(..., max_length=60)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str


class PointsEntryOut(Schema):
    id: int
    delta: int
    balance_after: int
    reason: str
    reference: str
    created_at: dt.datetime


class OkOut(Schema):
    ok: bool = True
