"""A host's dimensions and joint positions, worked out once from its spec (metres, glTF model space: +Y up,
facing +Z, its left hand at +X), for every part the builder makes: body, clothes, hands, face and hair."""
from __future__ import annotations

import numpy as np

from .spec import HostSpec


class Figure:
    """Dimensions of one host, derived once from the spec (metres, model space)."""

    def __init__(self, spec: HostSpec) -> None:
        p = spec.proportions
        self.spec = spec
        self.s = s = p["height"] / 1.70
        self.build, self.sh, self.hw, self.hs = p["build"], p["shoulders"], p["hips"], p["head"]
        self.head_c = np.array([0.0, 1.595 * s + (p["head"] - 1) * 0.06 * s, 0.012 * s])
        self.head_r = np.array([0.078, 0.105, 0.092]) * s * self.hs
        self.taper = {"oval": 0.32, "round": 0.12, "square": 0.05}[spec.face]
        self.eye_r = 0.0165 * s * self.hs * p["eyes"]       # large, as anime draws them, and set deep
        self.mouth_y = self.head_c[1] - 0.052 * s * self.hs
        self.joints = self._skeleton()

    def head_shape(self, unit: np.ndarray) -> np.ndarray:
        """Per-point ellipsoid scale: the jaw narrows below the cheekbones."""
        scale = np.ones_like(unit)
        scale[:, 0] = 1.0 - self.taper * np.clip(-unit[:, 1], 0, 1) ** 1.5
        return scale

    def face_z(self, x, y) -> np.ndarray:
        """Front surface z of the head at (x, y)."""
        c, r = self.head_c, self.head_r
        uy = np.clip((np.asarray(y) - c[1]) / r[1], -1, 1)
        sx = 1.0 - self.taper * np.clip(-uy, 0, 1) ** 1.5
        ux = (np.asarray(x) - c[0]) / (r[0] * sx)
        return c[2] + r[2] * np.sqrt(np.clip(1 - ux ** 2 - uy ** 2, 0, 1))

    def _skeleton(self) -> dict[str, np.ndarray]:
        s, sh, hw = self.s, self.sh, self.hw
        pos = {
            "hips": (0, 0.95, 0), "spine": (0, 1.05, 0.005), "chest": (0, 1.17, 0), "upperChest": (0, 1.28, -0.01),
            "neck": (0, 1.45, -0.015), "head": (0, 1.54, -0.005),
        }
        out = {k: np.array(v, float) * s for k, v in pos.items()}
        out["head"][1] = self.head_c[1] - 0.055 * s * self.hs
        eye_y = self.head_c[1] + 0.012 * s * self.hs
        for side, sign in (("left", 1), ("right", -1)):
            ex = sign * 0.031 * s * self.hs
            out[f"{side}Eye"] = np.array([ex, eye_y, float(self.face_z(ex, eye_y)) - 0.7 * self.eye_r])
            arm_y = 1.40 * s
            out[f"{side}Shoulder"] = np.array([sign * 0.025 * s, arm_y, -0.015 * s])
            upper = np.array([sign * 0.165 * s * sh, arm_y, -0.015 * s])
            out[f"{side}UpperArm"] = upper
            out[f"{side}LowerArm"] = upper + [sign * 0.27 * s, 0, 0]
            hand = upper + [sign * 0.51 * s, 0, 0]
            out[f"{side}Hand"] = hand
            fingers = {  # knuckle offset, spread angle (deg), segment lengths
                "Index": ((0.085, 0.003, 0.026), 6, (0.040, 0.025, 0.020)),
                "Middle": ((0.088, 0.004, 0.008), 0, (0.044, 0.028, 0.022)),
                "Ring": ((0.084, 0.003, -0.010), -5, (0.041, 0.026, 0.021)),
                "Little": ((0.076, 0.0, -0.026), -12, (0.032, 0.020, 0.018)),
            }
            for finger, (off, spread, lengths) in fingers.items():
                a = np.radians(spread)
                d = np.array([sign * np.cos(a), 0.0, np.sin(a)])
                j = hand + np.array([sign * off[0], off[1], off[2]]) * s
                for seg, length in zip(("Proximal", "Intermediate", "Distal"), lengths):
                    out[f"{side}{finger}{seg}"] = j.copy()
                    j = j + d * length * s
                out[f"{side}{finger}Tip"] = j
            d = np.array([sign * 0.55, -0.22, 0.80])
            d /= np.linalg.norm(d)
            j = hand + np.array([sign * 0.025, -0.008, 0.030]) * s
            for seg, length in zip(("Proximal", "Intermediate", "Distal"), (0.038, 0.032, 0.026)):
                out[f"{side}Thumb{seg}"] = j.copy()
                j = j + d * length * s
            out[f"{side}ThumbTip"] = j
            lx = sign * 0.09 * s * hw
            out[f"{side}UpperLeg"] = np.array([lx, 0.91 * s, 0.0])
            out[f"{side}LowerLeg"] = np.array([lx, 0.50 * s, 0.005 * s])
            out[f"{side}Foot"] = np.array([lx, 0.085 * s, -0.015 * s])
            out[f"{side}Toes"] = np.array([lx, 0.02 * s, 0.115 * s])
        out["jaw"] = np.array([0.0, self.head_c[1] - 0.02 * s, self.head_c[2] - 0.01 * s])
        return out
