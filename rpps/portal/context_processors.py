from . import permissions


def portal_nav(request):
    """What the portal's menu offers this user; computed on portal pages only, lazily."""
    if not request.path.startswith("/portail/") or not request.user.is_authenticated:
        return {}
    account = getattr(request.user, "portal_account", None)
    if account is None:
        return {}

    def manages():
        # Every open habilitation lets its holder register professionals on its structures.
        return permissions.open_habilitations(account.national_id).exists()

    def represents():
        return permissions.representing(account.national_id).exists()

    return {
        "portal_manages": manages,
        "portal_represents": represents,
        "portal_has_record": account.person_id is not None,
    }
