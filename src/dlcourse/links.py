"""Links derived from the one configured repository URL (`repo_url` in mkdocs.yml)."""

from __future__ import annotations

from urllib.parse import urlparse

COLAB = "https://colab.research.google.com/github"
KAGGLE = "https://kaggle.com/kernels/welcome?src="  # then the notebook's GitHub URL (Kaggle's badge)
STUDIO_LAB = "https://studiolab.sagemaker.aws/import/github"
SITE_URL = "https://dlcourse.github.io/dlcourse/"  # equal to site_url in mkdocs.yml (a test checks)


def github_path(repo_url: str) -> str:
    """'owner/name' of a GitHub repository URL."""
    parsed = urlparse(repo_url or "")
    parts = [p for p in parsed.path.split("/") if p]
    if parsed.netloc != "github.com" or len(parts) < 2:
        raise ValueError(f"repo_url must look like https://github.com/OWNER/NAME, got {repo_url!r}")
    return f"{parts[0]}/{parts[1].removesuffix('.git')}"


def colab_url(repo_url: str, notebook: str, branch: str = "main") -> str:
    """The URL that opens `lessons/<notebook>` of the repository in Google Colab."""
    return f"{COLAB}/{github_path(repo_url)}/blob/{branch}/lessons/{notebook}"


def github_url(repo_url: str, notebook: str, branch: str = "main") -> str:
    """The GitHub page of `lessons/<notebook>` in the repository."""
    return f"https://github.com/{github_path(repo_url)}/blob/{branch}/lessons/{notebook}"


def kaggle_url(repo_url: str, notebook: str, branch: str = "main") -> str:
    """The URL that imports `lessons/<notebook>` of the repository into a new Kaggle notebook."""
    return KAGGLE + github_url(repo_url, notebook, branch)


def studio_lab_url(repo_url: str, notebook: str, branch: str = "main") -> str:
    """The URL that opens `lessons/<notebook>` of the repository in SageMaker Studio Lab."""
    return f"{STUDIO_LAB}/{github_path(repo_url)}/blob/{branch}/lessons/{notebook}"


def launch_links(repo_url: str, notebook: str, branch: str = "main") -> dict[str, str]:
    """Where a lesson can run on a free GPU, each with its URL: Colab, Kaggle, SageMaker Studio Lab."""
    return {
        "Open in Colab": colab_url(repo_url, notebook, branch),
        "Open in Kaggle": kaggle_url(repo_url, notebook, branch),
        "Open in SageMaker Studio Lab": studio_lab_url(repo_url, notebook, branch),
    }
