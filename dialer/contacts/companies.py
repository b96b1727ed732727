"""A contact's company as the accounts see it: already a client or not.

Once a company has an account its numbers belong to its managers: the import closes them
and the claim passes over them.
"""

from sqlalchemy import ColumnElement, exists

from dialer.base.models import Account, Contact


def is_a_client() -> ColumnElement[bool]:
    """In a query of contacts: the contact's company is already an account."""
    return exists().where(Account.company_key == Contact.company_key)


def not_a_client() -> ColumnElement[bool]:
    """For the claim: the contact's company is not an account yet."""
    return ~is_a_client()
