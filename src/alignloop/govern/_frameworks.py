"""The frameworks the compliance register maps evidence to, written as data in our own words.

Each item names the kinds of evidence alignloop can produce for it (see ``_evidence.EVIDENCE_KINDS``)
and what lies outside any tool's reach (``outside``). ``full=False`` marks items that alignloop's
evidence can only ever support in part: their best status is ``partial``, never ``evidenced``.
These are summaries for orientation, not legal text; read the frameworks themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    """One obligation, risk or control of a framework."""

    id: str
    title: str
    summary: str
    evidence: tuple[str, ...]
    """Evidence kinds that together would show this item is addressed."""
    outside: str = ""
    """What the item asks for that alignloop cannot evidence (the provider must supply it)."""
    full: bool = True


@dataclass(frozen=True)
class Framework:
    """A framework: an id used on the command line and in constitutions, and its items."""

    id: str
    title: str
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item:
        """The item with this id (KeyError if absent)."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)


EU_AI_ACT = Framework(
    "eu-ai-act",
    "EU AI Act, Annex IV (technical documentation)",
    (
        Item(
            "annex-iv-1",
            "General description of the system",
            "What the system is for, who provides it, which version, how it interacts with other software.",
            ("loop_runs", "model_card"),
            "the intended purpose in your deployment, the provider's identity, hardware and user instructions",
            full=False,
        ),
        Item(
            "annex-iv-2",
            "Elements and development process",
            "How it was built: methods, design choices, training data and where it came from, testing procedures.",
            ("constitution", "data_provenance", "loop_runs", "evals"),
            "the base model's own pre-training data and development process",
            full=False,
        ),
        Item(
            "annex-iv-3",
            "Monitoring, functioning and control",
            "What it can and cannot do, foreseeable unintended outcomes, and how people oversee it.",
            ("evals", "gates", "approvals", "monitoring"),
        ),
        Item(
            "annex-iv-4",
            "Appropriateness of performance metrics",
            "Why the chosen metrics suit the system, with their measured values and uncertainty.",
            ("evals", "gates"),
        ),
        Item(
            "annex-iv-5",
            "Risk management system",
            "The risks identified, how they were tested for and which measures address them.",
            ("constitution", "redteam", "gates", "incidents"),
            "risks outside the constitution's categories, and the organisational risk process itself",
            full=False,
        ),
        Item(
            "annex-iv-6",
            "Changes over the lifecycle",
            "A record of relevant changes made to the system after its first version.",
            ("audit_log", "constitution"),
        ),
        Item(
            "annex-iv-7",
            "Standards applied",
            "Which harmonised standards or other specifications were applied.",
            ("framework_mapping",),
            "the list of standards you actually apply; alignloop only shows how categories map to frameworks",
            full=False,
        ),
        Item(
            "annex-iv-8",
            "EU declaration of conformity",
            "A copy of the declaration the provider signs.",
            ("approvals",),
            "the declaration itself is a legal document; a release approval is only the technical sign-off",
            full=False,
        ),
        Item(
            "annex-iv-9",
            "Post-market monitoring",
            "How the system's performance is watched after release, including the monitoring plan.",
            ("monitoring", "alerts", "incidents", "model_card"),
        ),
    ),
)

NIST_AI_600_1 = Framework(
    "nist-ai-600-1",
    "NIST AI 600-1, Generative AI Profile (12 risks)",
    (
        Item(
            "cbrn",
            "CBRN information or capabilities",
            "Easier access to knowledge that helps build chemical, biological, radiological or nuclear weapons.",
            ("category_evals", "redteam", "guard"),
        ),
        Item(
            "confabulation",
            "Confabulation",
            "Confident output that is false or invented.",
            ("eval:truthfulness",),
            "truthfulness is measured on a small bundled suite, not on your domain",
            full=False,
        ),
        Item(
            "dangerous-violent-hateful",
            "Dangerous, violent or hateful content",
            "Output that incites or helps violence, self-harm, illegal acts or hatred.",
            ("category_evals", "redteam", "guard", "monitoring"),
        ),
        Item(
            "data-privacy",
            "Data privacy",
            "Leaking, inferring or misusing personal data.",
            ("category_evals", "guard", "monitoring"),
            "training-data memorisation of the base model",
            full=False,
        ),
        Item(
            "environmental",
            "Environmental impacts",
            "Energy and resources used to train and run the model.",
            ("loop_runs",),
            "energy and emissions; alignloop records only stage durations",
            full=False,
        ),
        Item(
            "harmful-bias",
            "Harmful bias or homogenisation",
            "Outputs that treat groups unfairly or flatten the diversity of views.",
            ("category_evals",),
            "systematic bias measurement across groups",
            full=False,
        ),
        Item(
            "human-ai-configuration",
            "Human-AI configuration",
            "Over-reliance, automation bias or misplaced trust; a model that flatters instead of correcting.",
            ("eval:sycophancy", "eval:over_refusal", "approvals"),
        ),
        Item(
            "information-integrity",
            "Information integrity",
            "Making it easier to produce and spread misleading content at scale.",
            ("category_evals", "eval:truthfulness"),
        ),
        Item(
            "information-security",
            "Information security",
            "Help with cyber attacks, and attacks on the system itself such as prompt injection.",
            ("category_evals", "redteam", "guard"),
        ),
        Item(
            "intellectual-property",
            "Intellectual property",
            "Reproducing protected content or using it without rights.",
            (),
            "alignloop collects no evidence about intellectual property",
            full=False,
        ),
        Item(
            "obscene-degrading-abusive",
            "Obscene, degrading or abusive content",
            "Sexual content involving minors, non-consensual imagery or text, and degrading abuse.",
            ("category_evals", "guard"),
        ),
        Item(
            "value-chain",
            "Value chain and component integration",
            "Components from third parties (base models, data) whose origin and quality are not transparent.",
            ("data_provenance", "model_card", "audit_log"),
            "the provenance of the base model's own training data",
            full=False,
        ),
    ),
)

ISO_42001 = Framework(
    "iso-42001",
    "ISO/IEC 42001, Annex A controls a tool can evidence",
    (
        Item(
            "a.2.2",
            "AI policy",
            "A written policy for developing and using AI.",
            ("constitution",),
            "the organisation's own policy approval",
            full=False,
        ),
        Item(
            "a.5.2",
            "Impact assessment process",
            "Assessing consequences of the system for people.",
            ("redteam", "evals"),
            "impacts on individuals and society beyond the measured categories",
            full=False,
        ),
        Item(
            "a.6.1.2",
            "Objectives for responsible development",
            "Measurable objectives for the system.",
            ("constitution", "gates"),
        ),
        Item("a.6.2.2", "Requirements and specification", "What the system must and must not do.", ("constitution",)),
        Item(
            "a.6.2.3",
            "Design and development documentation",
            "A record of how it was designed and built.",
            ("loop_runs", "data_provenance"),
        ),
        Item(
            "a.6.2.4",
            "Verification and validation",
            "Tests that show the requirements are met.",
            ("evals", "gates", "redteam"),
        ),
        Item("a.6.2.5", "Deployment", "A deliberate, recorded decision to deploy.", ("approvals",)),
        Item("a.6.2.6", "Operation and monitoring", "Watching the system in operation.", ("monitoring", "alerts")),
        Item(
            "a.6.2.7", "Technical documentation", "Documentation for those who operate or assess it.", ("model_card",)
        ),
        Item("a.6.2.8", "Event logs", "Records of events during the system's life.", ("audit_log", "monitoring")),
        Item(
            "a.7.4",
            "Quality of data",
            "Data fit for its purpose.",
            ("data_provenance", "evals"),
            "data quality criteria of your own",
            full=False,
        ),
        Item("a.7.5", "Data provenance", "Where the data came from and how it changed.", ("data_provenance",)),
        Item("a.8.2", "Information for users", "What users need to know about the system.", ("model_card",)),
        Item(
            "a.8.4",
            "Communication of incidents",
            "Incidents recorded and communicated.",
            ("incidents",),
            "notifying users and authorities",
            full=False,
        ),
        Item("a.9.2", "Processes for responsible use", "Controls on how the system is used.", ("guard", "approvals")),
    ),
)

FRAMEWORKS: dict[str, Framework] = {f.id: f for f in (EU_AI_ACT, NIST_AI_600_1, ISO_42001)}
"""Framework id -> framework."""


def check_reference(ref: str) -> str:
    """Validate a ``framework:item`` reference (as used in a constitution's ``frameworks:`` field).

    Raises:
        ValueError: unknown framework or item, with the valid choices.
    """
    fw, sep, item = ref.partition(":")
    if not sep or fw not in FRAMEWORKS:
        raise ValueError(f"{ref!r} must be 'FRAMEWORK:ITEM' with FRAMEWORK one of {', '.join(FRAMEWORKS)}")
    try:
        FRAMEWORKS[fw].item(item)
    except KeyError:
        ids = ", ".join(i.id for i in FRAMEWORKS[fw].items)
        raise ValueError(f"{ref!r}: {fw} has no item {item!r} (one of {ids})") from None
    return ref
