"""A deterministic demo school (SPEC E4): the same seed and scale give byte-identical content."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

from livret import clock, schema
from livret.db import Database, connect, remove_database, transaction
from livret.imports import referentiel

DEFAULT_SEED = 2025
SCHOOL_YEAR = "2025-2026"
YEAR_START = date(2025, 9, 1)
YEAR_END = date(2026, 6, 19)
COUNCILS = (datetime(2025, 12, 12, 18, 0), datetime(2026, 3, 27, 18, 0))
PLACEMENTS = (date(2025, 11, 28), date(2026, 5, 22))
COMPANY_COMPETENCIES = ("C1", "C2", "C4", "C5", "C7", "C10", "C12", "C13")
# Competencies a class only starts working on later in the year (its progression), so earlier
# bilans leave them « non évaluée » and learners' profiles of evaluated competencies differ.
LATE_COMPETENCIES = {"2MELEC": (("C8", "C9", "C13"), date(2026, 4, 1)), "1MELEC": (("C8",), date(2026, 1, 5))}

# (name, learners, school evaluations, complexity weights D/Int/B at the start and end of the year)
CLASSES = (
    ("2MELEC", 24, 72, ((0.85, 0.15, 0.0), (0.45, 0.45, 0.10))),
    ("1MELEC", 24, 100, ((0.40, 0.50, 0.10), (0.10, 0.50, 0.40))),
    ("TMELEC", 25, 130, ((0.10, 0.50, 0.40), (0.0, 0.25, 0.75))),
)
TEACHERS = (("Marc", "Lefebvre", (0, 1)), ("Sophie", "Garnier", (1, 2)), ("Karim", "Benali", (2, 0)))
DDFPT = ("Claire", "Dubreuil")
ADMIN = ("Alain", "Roussel")
EMAIL_DOMAIN = "lycee-demo.fr"

LAST_NAMES = (
    "Abschen Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel "
    "Lefèvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau "
    "Vincent Muller Lefort Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand "
    "Gauthier Garcia Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand "
    "Duval Denis Dumont Marie Lemaire Noël Meyer Dufour Meunier Brun Blanchard Giraud Joly Rivière "
    "Lucas Brunet Gaillard Barbier Arnaud Martinez Gérard Roche Renard Schmitt Roy Leroux Colin "
    "Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois "
    "Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy Guillot "
    "Hubert Berger Carpentier Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury "
    "Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault Charpentier "
    "Ménard Maillard Baron Bertin Bailly Hervé Schneider Fernandez Le Gall Collet Léger Bouvier Julien "
    "Prévost Millet Perrot Daniel Le Roux Cousin Germain Breton Besson Langlois Rémy Le Goff Pelletier "
    "Lévêque Perrier Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud "
    "Rodriguez Guichard Gillet Étienne Grondin Poulain Tessier Chevallier Collin Chauvin Da Silva "
    "Bouchet Gay Lemaître Bénard Maréchal Humbert Reynaud Antoine Hoarau Perret Barthélémy Cordier "
    "Pichon Lejeune Gilbert Lamy Delaunay Pasquier Carlier Laporte Égrève"
).split()
FIRST_NAMES = (
    "Jean Lucas Hugo Louis Nathan Enzo Léo Gabriel Jules Raphaël Arthur Adam Mathis Tom Théo Noah "
    "Ethan Maël Sacha Timéo Nolan Axel Paul Rayan Yanis Mohamed Ilyes Kylian Evan Baptiste Clément "
    "Antoine Maxime Alexandre Romain Thomas Quentin Valentin Dylan Kevin Jean-René Samuel Mathéo "
    "Emma Léa Chloé Manon Inès Jade Sarah Camille Lina Zoé Lou Louise Jeanne Alice Clara Yasmine "
    "Anaïs Océane Eva Maëlys Nina Rose Julie Lola Amira Salomé Noémie Mathilde"
).split()

CONSTATS = {
    "strong": ("Travail rigoureux et autonome. Les compétences de réalisation sont bien maîtrisées.",
               "Très bonne implication en atelier comme en entreprise."),
    "average": ("Des progrès réguliers ; la préparation des opérations reste à consolider.",
                "Travail sérieux, mais des hésitations sur la mise en service."),
    "struggling": ("Des difficultés persistantes sur l'analyse des conditions de l'opération.",
                   "Le travail demande encore beaucoup d'aide de l'enseignant."),
    "absent": ("Les absences répétées empêchent d'évaluer plusieurs compétences.",
               "Un parcours irrégulier : peu d'évaluations réalisées sur la période."),
}
CONSEILS = {
    "strong": ("Continuer ainsi et viser l'autonomie complète sur la maintenance.",
               "Prendre davantage d'initiatives dans la communication avec le client."),
    "average": ("Relire les dossiers techniques avant chaque séance de préparation.",
                "S'entraîner aux mesures et au contrôle des grandeurs caractéristiques."),
    "struggling": ("Demander de l'aide plus tôt et reprendre les fiches méthode.",
                   "Travailler la lecture de schémas avec le dossier ressource."),
    "absent": ("Être présent en atelier : chaque séance compte pour l'évaluation.",
               "Rattraper les travaux pratiques manqués avec l'enseignant."),
}
PROFILES = (("strong", 0.2, 0.78), ("average", 0.45, 0.55), ("struggling", 0.2, 0.30), ("absent", 0.15, 0.50))
COMPLEXITY_PENALTY = {"D": 0.0, "Int": 0.1, "B": 0.2, None: 0.05}


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and c.isascii()).lower()


def _school_days() -> list[date]:
    days, day = [], YEAR_START
    while day <= YEAR_END:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _stamp(moment: datetime) -> str:
    """A moment of the demo's school calendar (local time) as stored (UTC)."""
    return clock.stamp(moment)


class _Builder:
    def __init__(self, db: Database, seed: int, scale: int):
        self.db = db
        self.rng = random.Random(seed)
        self.scale = scale
        rows = db.execute(
            "SELECT c.code, c.id, cr.id FROM competencies c JOIN criteria cr ON cr.competency_id = c.id "
            "WHERE c.diploma = 'BACPRO-MELEC' ORDER BY c.position, cr.position"
        ).fetchall()
        self.criteria_by_competency: dict[str, list[int]] = {}
        self.competency_ids: dict[str, int] = {}
        for code, competency_id, criterion_id in rows:
            self.criteria_by_competency.setdefault(code, []).append(criterion_id)
            self.competency_ids[code] = competency_id
        self.criterion_competency = {
            crit: code for code, crits in self.criteria_by_competency.items() for crit in crits
        }
        self.days = _school_days()
        self.used_emails: set[str] = set()

    def email(self, first: str, last: str, domain: str) -> str:
        base = f"{_ascii(first)}.{_ascii(last)}"
        candidate, n = f"{base}@{domain}", 1
        while candidate in self.used_emails:
            n += 1
            candidate = f"{base}{n}@{domain}"
        self.used_emails.add(candidate)
        return candidate

    def build(self) -> None:
        db = self.db
        db.execute("INSERT INTO users(name, email, role) VALUES (?, ?, 'ddfpt')",
                   [f"{DDFPT[1].upper()} {DDFPT[0]}", self.email(*DDFPT, EMAIL_DOMAIN)])
        db.execute("INSERT INTO users(name, email, role) VALUES (?, ?, 'admin')",
                   [f"{ADMIN[1].upper()} {ADMIN[0]}", self.email(*ADMIN, EMAIL_DOMAIN)])
        for group in range(self.scale):
            class_ids = []
            for name, _, _, _ in CLASSES:
                class_name = name if group == 0 else f"{name}-{group + 1}"
                cur_id = db.insert("INSERT INTO classes(name, diploma, school_year) VALUES (?, 'BACPRO-MELEC', ?)",
                                 [class_name, SCHOOL_YEAR])
                class_ids.append(cur_id)
            teacher_ids = []
            for first, last, classes in TEACHERS:
                display_last = last if group == 0 else f"{last}-{group + 1}"
                cur_id = db.insert("INSERT INTO users(name, email, role) VALUES (?, ?, 'teacher')",
                                 [f"{display_last.upper()} {first}", self.email(first, display_last, EMAIL_DOMAIN)])
                teacher_ids.append(cur_id)
                for index in classes:
                    db.execute("INSERT INTO teacher_classes(user_id, class_id) VALUES (?, ?)",
                               [cur_id, class_ids[index]])
            for index, (name, size, evaluations, mix) in enumerate(CLASSES):
                author = next(t for t, (_, _, cls) in zip(teacher_ids, TEACHERS) if cls[0] == index)
                self.build_class(class_ids[index], size, evaluations, mix, author, name)

    def build_class(self, class_id: int, size: int, evaluation_count: int, mix, author: int, base_name: str) -> None:
        """One class: its learners, a year of school evaluations, two company bilans each, their results and
        bilans. The steps draw from the one random generator in this order, so the demo stays the same."""
        late = LATE_COMPETENCIES.get(base_name, ((), YEAR_START))
        learners = self.add_learners(class_id, size)
        evaluations = self.school_evaluations(class_id, evaluation_count, mix, author, late)
        evaluations += self.company_bilans(class_id, learners, author, late)
        results = self.results(learners, evaluations)
        self.db.executemany(
            "INSERT INTO results(evaluation_id, learner_id, criterion_id, code) VALUES (?, ?, ?, ?)", results)
        self.build_bilans(learners, evaluations, results, author, class_id)

    def add_learners(self, class_id: int, size: int) -> list[tuple[int, str, float, float]]:
        """The class's learners and their accounts, as (id, profile, ability, absence)."""
        db, rng = self.db, self.rng
        learners = []
        names: set[tuple[str, str]] = set()
        while len(names) < size:
            names.add((rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)))
        for last, first in sorted(names):
            roll, profile = rng.random(), PROFILES[-1]
            for candidate in PROFILES:
                roll -= candidate[1]
                if roll < 0:
                    profile = candidate
                    break
            ability = profile[2] + rng.uniform(-0.08, 0.08)
            absence = 0.3 if profile[0] == "absent" else 0.03
            birth = date(2009, 1, 1) + timedelta(days=rng.randrange(0, 3 * 365))
            cur_id = db.insert(
                "INSERT INTO learners(class_id, last_name, first_name, email, birth_date) VALUES (?, ?, ?, ?, ?)",
                [class_id, last.upper(), first, self.email(first, last, "eleve." + EMAIL_DOMAIN), birth.isoformat()],
            )
            learner_id = cur_id
            db.execute("INSERT INTO users(name, email, role, learner_id) VALUES (?, ?, 'learner', ?)",
                       [f"{last.upper()} {first}", self.email(first, last, "compte.eleve." + EMAIL_DOMAIN), learner_id])
            learners.append((learner_id, profile[0], ability, absence))
        return learners

    def school_evaluations(self, class_id: int, count: int, mix, author: int, late) -> list[tuple]:
        """A year of school evaluations, as (id, modified_at, criteria, complexity, progress, None)."""
        rng = self.rng
        late_codes, late_from = late
        evaluations = []
        step = len(self.days) / count
        codes = list(self.criteria_by_competency)
        for n in range(count):
            day = self.days[min(int(n * step + rng.random() * step), len(self.days) - 1)]
            progress = (day - YEAR_START).days / (YEAR_END - YEAR_START).days
            weights = [a + (b - a) * progress for a, b in zip(*mix)]
            complexity = rng.choices(("D", "Int", "B"), weights=weights)[0]
            available = [c for c in codes if day >= late_from or c not in late_codes]
            chosen = rng.sample(available, rng.choice((1, 1, 2, 2, 3)))
            criteria = []
            for code in sorted(chosen, key=codes.index):
                crits = self.criteria_by_competency[code]
                k = rng.randint(min(2, len(crits)), min(4, len(crits)))
                criteria.extend(sorted(rng.sample(crits, k)))
            title = f"{self.topic(chosen[0])} n°{n + 1}"
            modified = datetime.combine(day, datetime.min.time()) + timedelta(
                days=rng.choice((0, 0, 1, 2, 5)), hours=rng.randint(12, 19), minutes=rng.randrange(60))
            eval_id = self.insert_evaluation(class_id, None, title, day, "school", complexity, modified, author, criteria)
            evaluations.append((eval_id, modified, criteria, complexity, progress, None))
        return evaluations

    def company_bilans(self, class_id: int, learners, author: int, late) -> list[tuple]:
        """Each learner's company bilans (one per work placement), shaped as school_evaluations'."""
        rng = self.rng
        late_codes, late_from = late
        codes = list(self.criteria_by_competency)
        evaluations = []
        for learner_id, *_ in learners:
            for number, day in enumerate(PLACEMENTS, start=1):
                allowed = [c for c in COMPANY_COMPETENCIES if day >= late_from or c not in late_codes]
                chosen = rng.sample(allowed, 5)
                criteria = []
                for code in sorted(chosen, key=codes.index):
                    crits = self.criteria_by_competency[code]
                    criteria.extend(crits[: min(3, len(crits))])
                modified = datetime.combine(day, datetime.min.time()) + timedelta(days=3, hours=10)
                eval_id = self.insert_evaluation(class_id, learner_id, f"Bilan entreprise PFMP {number}", day,
                                                 "company", None, modified, author, criteria)
                progress = (day - YEAR_START).days / (YEAR_END - YEAR_START).days
                evaluations.append((eval_id, modified, criteria, None, progress, learner_id))
        return evaluations

    def results(self, learners, evaluations) -> list[tuple[int, int, int, str]]:
        """Every learner's result on every criterion of the evaluations they took (absent: AB throughout)."""
        results = []
        for eval_id, _, criteria, complexity, progress, only_learner in evaluations:
            for learner_id, _, ability, absence in learners:
                if only_learner is not None and learner_id != only_learner:
                    continue
                if only_learner is None and self.rng.random() < absence:
                    results.extend((eval_id, learner_id, crit, "AB") for crit in criteria)
                    continue
                for crit in criteria:
                    results.append((eval_id, learner_id, crit, self.result_code(ability, progress, complexity)))
        return results

    def topic(self, competency: str) -> str:
        topics = {
            "C1": "Analyse du dossier", "C2": "Organisation du chantier", "C3": "Choix des matériels",
            "C4": "Câblage d'un tableau", "C5": "Mesures et contrôles", "C6": "Paramétrage",
            "C7": "Mise en service", "C8": "Dépannage", "C9": "Remplacement d'un appareillage",
            "C10": "Outils numériques", "C11": "Documents d'intervention", "C12": "Compte rendu d'équipe",
            "C13": "Explication au client",
        }
        return topics.get(competency, competency)

    def insert_evaluation(self, class_id, learner_id, title, day, context, complexity, modified, author, criteria):
        created = datetime.combine(day, datetime.min.time()) + timedelta(hours=8)
        cur_id = self.db.insert(
            "INSERT INTO evaluations(class_id, learner_id, title, eval_date, context, complexity, created_at, "
            "modified_at, author_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [class_id, learner_id, title, day.isoformat(), context, complexity, _stamp(created), _stamp(modified), author],
        )
        self.db.executemany("INSERT INTO evaluation_criteria(evaluation_id, criterion_id) VALUES (?, ?)",
                                 [(cur_id, c) for c in criteria])
        return cur_id

    def result_code(self, ability: float, progress: float, complexity: str | None) -> str:
        rng = self.rng
        if rng.random() < 0.03:
            return "NV"
        score = ability + 0.25 * progress - COMPLEXITY_PENALTY[complexity] + rng.gauss(0, 0.15)
        if score < 0.3:
            return "NA"
        if score < 0.5:
            return "PR"
        if score < 0.7:
            return "RA"
        return "RT"

    def build_bilans(self, learners, evaluations, results, author, class_id) -> None:
        rank = {"NA": 0, "PR": 1, "RA": 2, "RT": 3}
        modified_by_eval = {e[0]: e[1] for e in evaluations}
        by_learner: dict[int, list[tuple[datetime, int, str]]] = {}
        for eval_id, learner_id, crit, code in results:
            if code in rank:
                by_learner.setdefault(learner_id, []).append((modified_by_eval[eval_id], crit, code))
        terminal = self.db.execute("SELECT name FROM classes WHERE id = ?", [class_id]).fetchone()[0].startswith("T")
        for learner_id, profile, _, _ in learners:
            for number, council in enumerate(COUNCILS):
                scores: dict[str, list[int]] = {}
                for moment, crit, code in by_learner.get(learner_id, []):
                    if moment <= council:
                        scores.setdefault(self.criterion_competency[crit], []).append(rank[code])
                cur_id = self.db.insert(
                    "INSERT INTO bilans(learner_id, status, validated_at, constats, conseils, author_id, "
                    "created_at, modified_at) VALUES (?, 'validated', ?, ?, ?, ?, ?, ?)",
                    [learner_id, _stamp(council), CONSTATS[profile][number], CONSEILS[profile][number], author,
                     _stamp(council - timedelta(hours=2)), _stamp(council)],
                )
                objective = "terminal" if (terminal and number == 1) else "intermediate"
                # Teachers ask more evidence of an often-absent learner before positioning them.
                evidence_needed = 7 if profile == "absent" else 3
                rows = []
                for code, competency_id in self.competency_ids.items():
                    values = scores.get(code)
                    if len(values or ()) < evidence_needed:  # too little evidence to position
                        rows.append((cur_id, competency_id, None, None))
                        continue
                    mean = sum(values) / len(values)
                    level = 1 if mean < 0.9 else 2 if mean < 1.6 else 3 if mean < 2.3 else 4
                    rows.append((cur_id, competency_id, level, objective))
                self.db.executemany(
                    "INSERT INTO positionings(bilan_id, competency_id, level, objective) VALUES (?, ?, ?, ?)", rows)


def populate_demo(db: Database, seed: int = DEFAULT_SEED, scale: int = 1) -> None:
    """Fill a migrated database holding the MELEC référentiel with the demo school."""
    with transaction(db):
        _Builder(db, seed, scale).build()
        for key, value in (("database_kind", "demo"), ("demo_seed", str(seed)), ("demo_scale", str(scale))):
            db.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       [key, value])


def build_demo_database(path: str | Path, seed: int = DEFAULT_SEED, scale: int = 1) -> None:
    """Replace the database at path (a SQLite file or a PostgreSQL URL) by a fresh demo school."""
    remove_database(path)
    db = connect(path)
    try:
        schema.migrate(db)
        referentiel.load_default_referentiel(db)
        populate_demo(db, seed, scale)
    finally:
        db.close()


def build_empty_database(path: str | Path) -> None:
    """A database for real use: schema and the shipped référentiel, no school, no demo sign-in."""
    db = connect(path)
    try:
        schema.migrate(db)
        referentiel.load_default_referentiel(db)
        db.execute("INSERT INTO settings(key, value) VALUES ('database_kind', 'school') ON CONFLICT DO NOTHING")
    finally:
        db.close()
