"""Errors users see, always in both languages."""

from __future__ import annotations


class GzgovError(Exception):
    """A refusal a user can understand: a stable code and the message in Chinese and English."""

    status_code = 400

    def __init__(self, code: str, zh: str, en: str, **details: object) -> None:
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en
        self.details = details

    def message(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def bilingual(self) -> str:
        return f"{self.zh}\n{self.en}"

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "zh": self.zh, "en": self.en, **self.details}


class PermissionDenied(GzgovError):
    status_code = 403

    def __init__(self, zh: str = "无权执行此操作", en: str = "You are not allowed to do this", **details: object):
        super().__init__("permission_denied", zh, en, **details)


class NotFound(GzgovError):
    status_code = 404

    def __init__(self, what_zh: str, what_en: str, key: object) -> None:
        super().__init__("not_found", f"未找到{what_zh}：{key}", f"{what_en} not found: {key}", key=str(key))


class StaleAction(GzgovError):
    """Another official acted first: the action was based on a version that no longer exists."""

    status_code = 409

    def __init__(self, what_zh: str, what_en: str) -> None:
        super().__init__(
            "stale_action",
            f"{what_zh}已被他人更新，请刷新后重试",
            f"{what_en} was changed by someone else; reload and try again",
        )
