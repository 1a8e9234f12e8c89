"""Shared fixtures for the text pipeline tests: graded sample paragraphs."""

from __future__ import annotations

import pytest

# Paragraphs written to CEFR descriptors (the same B2 content in several languages).
GRADED_TEXTS = {
    ("en", "A1"): (
        "My name is Anna. I am ten years old. I have a dog. My dog is big and brown. I like "
        "my dog. I play with my dog in the park. My mother is a teacher. I like school."
    ),
    ("en", "A2"): (
        "Last weekend I went to the beach with my family. The weather was sunny and warm, so "
        "we swam in the sea. In the afternoon we ate fish in a small restaurant near the "
        "beach. My brother bought a new hat. I was very tired when we got home, but it was a "
        "great day."
    ),
    ("en", "B1"): (
        "I have been learning English for three years because I want to work abroad. At first "
        "it was difficult to understand native speakers, but now I can follow most "
        "conversations if they speak clearly. I think that reading books helps me a lot, "
        "although I still make mistakes when I write long sentences. Next year I would like to "
        "take an exam so that I can apply for a job in London."
    ),
    ("en", "B2"): (
        "Although remote work offers considerable flexibility, it also presents challenges "
        "that many companies underestimated at first. Employees who live alone often report "
        "feeling isolated, while managers struggle to evaluate performance when they cannot "
        "observe their teams directly. Nevertheless, several studies suggest that productivity "
        "has remained stable, which indicates that the arrangement can succeed if "
        "organisations invest in communication tools and clear expectations."
    ),
    ("en", "C2"): (
        "The proliferation of algorithmic curation has fundamentally reshaped the epistemic "
        "landscape in which citizens form their political convictions. Whereas earlier "
        "generations encountered a relatively homogeneous set of editorial judgements, "
        "contemporary audiences inhabit fragmented informational ecosystems whose contours "
        "are determined by opaque optimisation criteria. Consequently, the deliberative "
        "ideal, which presupposes a shared evidentiary foundation, appears increasingly "
        "untenable unless regulators compel platforms to disclose the mechanisms through "
        "which salience is allocated."
    ),
    ("es", "A1"): (
        "Me llamo Pedro. Tengo diez años. Vivo en Madrid con mi familia. Tengo un perro. Mi "
        "perro es grande. Me gusta el fútbol. Mi madre es profesora."
    ),
    ("es", "B2"): (
        "Aunque el teletrabajo ofrece una flexibilidad considerable, también plantea desafíos "
        "que muchas empresas subestimaron al principio. Los empleados que viven solos a menudo "
        "se sienten aislados, mientras que los directivos tienen dificultades para evaluar el "
        "rendimiento cuando no pueden observar a sus equipos. Sin embargo, varios estudios "
        "sugieren que la productividad se ha mantenido estable, lo que indica que el sistema "
        "puede funcionar si las organizaciones invierten en herramientas de comunicación."
    ),
    ("fr", "A1"): (
        "Je m'appelle Marie. J'ai dix ans. J'habite à Paris. J'ai un chat. Mon chat est petit. "
        "J'aime l'école."
    ),
    ("fr", "C1"): (
        "Bien que le télétravail offre une flexibilité considérable, il soulève également des "
        "difficultés que de nombreuses entreprises avaient sous-estimées. Les salariés qui "
        "vivent seuls se sentent souvent isolés, tandis que les responsables peinent à évaluer "
        "les performances lorsqu'ils ne peuvent observer directement leurs équipes. Néanmoins, "
        "plusieurs études suggèrent que la productivité est restée stable, ce qui indique que "
        "ce dispositif peut réussir si les organisations investissent dans des outils de "
        "communication."
    ),
    ("ja", "A1"): "私はアンナです。十歳です。犬がいます。犬は大きいです。学校が好きです。",
    ("ja", "B2"): (
        "在宅勤務は柔軟性がある一方で、多くの企業が当初予想していなかった課題も生じている。"
        "一人暮らしの社員は孤独を感じることが多いので、管理職はチームを直接観察できないため、"
        "業績を評価するのが難しいと感じている。しかし、生産性は安定しているという研究もあり、"
        "組織がコミュニケーションの手段に投資すれば、この働き方は成功する可能性がある。"
    ),
}


@pytest.fixture
def graded_texts() -> dict[tuple[str, str], str]:
    return dict(GRADED_TEXTS)


@pytest.fixture
def fake_openai():
    """A running local OpenAI-compatible server (see fake_llm.py)."""
    from tests.pipelines.text.fake_llm import FakeOpenAI

    with FakeOpenAI() as server:
        yield server
