from django.db import models


class Entry(models.Model):
    """One line of the public search index: an exercise at one open situation (or with none).

    Derived data, rebuilt from the registry through the public projection (rpps.directory.search_index): it
    holds public fields and their folded search keys only. ``is_main`` marks one line per exercise
    (its first open situation), so searches without a place criterion count exercises, not lines.
    """

    person_id = models.BigIntegerField(db_index=True)
    exercise_id = models.BigIntegerField()
    rpps = models.CharField(max_length=11)
    civility_code = models.CharField(max_length=4, blank=True)
    last_name = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100, blank=True)
    profession_code = models.CharField(max_length=5)
    # "LASTFIRST" and "FIRSTLAST": search keys (rpps.directory.keys).
    name_key = models.CharField(max_length=201)
    reverse_key = models.CharField(max_length=201)
    structure = models.ForeignKey(
        "registry.Structure", on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    role_code = models.CharField(max_length=10, blank=True)
    postal_code = models.CharField(max_length=5, blank=True)
    department_code = models.CharField(max_length=3, blank=True)
    commune_key = models.CharField(max_length=100, blank=True)
    structure_key = models.CharField(max_length=401, blank=True)
    is_main = models.BooleanField()

    class Meta:
        verbose_name = "ligne de l'index de recherche"
        # Name prefixes are key ranges (keys hold [0-9A-Z] only), so these btrees both find and order;
        # each combination of the common searches reads its lines in name order (rpps.directory.search).
        # Every search reads one of these in name order, and finds in it all it needs (index-only
        # scans): the filter columns, then name_key, exercise_id, id (pages are ordered by
        # (name_key, exercise_id); id names the line) and is_main where searches filter on it.
        indexes = [
            models.Index(fields=["name_key", "exercise_id", "id", "is_main"], name="directory_name"),
            models.Index(fields=["reverse_key", "is_main", "name_key", "exercise_id", "id"], name="directory_reverse"),
            models.Index(
                fields=["profession_code", "name_key", "exercise_id", "id", "is_main"], name="directory_profession"
            ),
            models.Index(
                fields=["department_code", "profession_code", "name_key", "exercise_id", "id"],
                name="directory_department",
            ),
            models.Index(
                fields=["postal_code", "profession_code", "name_key", "exercise_id", "id"], name="directory_postal"
            ),
            models.Index(fields=["commune_key", "name_key", "exercise_id", "id"], name="directory_commune"),
            models.Index(fields=["structure", "name_key", "exercise_id", "id"], name="directory_structure"),
            models.Index(fields=["exercise_id"], name="directory_exercise"),
            models.Index(fields=["role_code"], name="directory_role", condition=~models.Q(role_code="")),
        ]

    def __str__(self):
        return f"{self.rpps} {self.name_key}"
