"""Writes the two small CSV files under examples/data/ that the README trains on (seeded: run it again and
the files come out the same).

    python examples/make_data.py
"""

import csv
from pathlib import Path

import torch

HERE = Path(__file__).parent / "data"


def write(name: str, header: list[str], columns: list[torch.Tensor]) -> None:
    rows = torch.stack(columns, dim=1).tolist()
    with (HERE / name).open("w", newline="") as file:
        csv.writer(file).writerows([header, *[[f"{value:g}" for value in row] for row in rows]])
    print(f"wrote {HERE / name}: {len(rows)} rows")


def main() -> None:
    HERE.mkdir(exist_ok=True)
    generator = torch.Generator().manual_seed(0)
    rows = 200

    # Regression: a house's price (thousands) from its area (m²), rooms and age (years), plus noise.
    area = torch.randint(40, 200, (rows,), generator=generator).float()
    house_rooms = torch.randint(1, 7, (rows,), generator=generator).float()
    age = torch.randint(0, 80, (rows,), generator=generator).float()
    noise = torch.randn(rows, generator=generator) * 15
    price = 50 + 2.0 * area + 10 * house_rooms - 0.8 * age + noise
    write("houses.csv", ["area", "rooms", "age", "price"], [area, house_rooms, age, price.round(decimals=1)])

    # Classification: whether a student passed, from hours studied and hours slept (a noisy linear rule).
    studied = (torch.rand(rows, generator=generator) * 10).round(decimals=1)
    slept = (4 + torch.rand(rows, generator=generator) * 5).round(decimals=1)
    logit = 1.2 * studied + 0.8 * slept - 11 + torch.randn(rows, generator=generator)
    write("exams.csv", ["hours_studied", "hours_slept", "passed"], [studied, slept, (logit > 0).float()])


if __name__ == "__main__":
    main()
