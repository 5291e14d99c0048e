"""A typical PyTorch MLP training script runs after changing only its import, and gives the numbers
PyTorch gives (when torch is installed)."""

import numpy as np
import pytest

SCRIPT = '''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)
rng = np.random.default_rng(0)
X = rng.standard_normal((256, 10)).astype(np.float32)
y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 32)
        self.fc2 = nn.Linear(32, 2)
        self.drop = nn.Dropout(0.0)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        return self.fc2(self.drop(x))

model = Net().to(device)
with torch.no_grad():  # the same starting weights in both libraries
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy(WEIGHTS[name]))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
criterion = nn.CrossEntropyLoss()
loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y)), batch_size=32, shuffle=False)
losses = []
for epoch in range(10):
    model.train()
    running = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * xb.size(0)
    scheduler.step()
    losses.append(running / len(loader.dataset))
model.eval()
with torch.no_grad():
    logits = model(torch.from_numpy(X))
    _, predicted = torch.max(logits, 1)
    accuracy = (predicted == torch.from_numpy(y)).float().mean().item()
    probs = F.softmax(logits, dim=1)[:, 1].numpy()
'''


PORTED_IMPORTS = """
import tinygrad_mlp as torch
import tinygrad_mlp.nn as nn
import tinygrad_mlp.nn.functional as F
from tinygrad_mlp.utils.data import DataLoader, TensorDataset
"""
TORCH_IMPORTS = """
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
"""


def run(ported, weights):
    """Run the script, with its four import lines changed when ``ported``: the only edit."""
    source = SCRIPT.replace(TORCH_IMPORTS, PORTED_IMPORTS) if ported else SCRIPT
    assert (PORTED_IMPORTS in source) == ported
    scope = {"WEIGHTS": weights}
    exec(source, scope)
    return scope


def weights():
    rng = np.random.default_rng(1)
    return {"fc1.weight": rng.uniform(-0.3, 0.3, (32, 10)).astype(np.float32),
            "fc1.bias": rng.uniform(-0.3, 0.3, 32).astype(np.float32),
            "fc2.weight": rng.uniform(-0.3, 0.3, (2, 32)).astype(np.float32),
            "fc2.bias": rng.uniform(-0.3, 0.3, 2).astype(np.float32)}


def test_the_script_runs_on_tinygrad_mlp():
    ours = run(True, weights())
    assert ours["losses"][-1] < ours["losses"][0] and ours["accuracy"] > 0.9


def test_the_script_gives_pytorchs_numbers():
    pytest.importorskip("torch", reason="torch not installed: pip install -e '.[torch]'")
    ours = run(True, weights())
    theirs = run(False, weights())
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=2e-5)
    assert ours["accuracy"] == theirs["accuracy"]
    np.testing.assert_allclose(ours["probs"], theirs["probs"], atol=1e-5)
