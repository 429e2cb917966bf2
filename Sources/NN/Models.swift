// Implements: the model kinds a job spec can name: an MLP and a small CNN for 28×28 images.

/// The model kinds a job spec can name.
public enum Models {
    /// 784 → hidden… → classes, ReLU between layers (fused into Linear).
    public static func mlp(input: Int = 784, hidden: [Int], classes: Int = 10) -> Sequential {
        var layers: [Layer] = [Flatten()]
        var width = input
        for h in hidden {
            layers.append(Linear(width, h, relu: true))
            width = h
        }
        layers.append(Linear(width, classes))
        return Sequential(layers, inputShape: [input])
    }

    /// conv(1→c1, 5, pad 2) ReLU pool2 → conv(c1→c2, 5, pad 2) ReLU pool2 → fc(hidden) ReLU → fc(classes).
    public static func cnn(channels: (Int, Int) = (32, 64), hidden: Int = 256, classes: Int = 10) -> Sequential {
        let (c1, c2) = channels
        let layers: [Layer] = [
            Conv2d(1, c1, kernel: 5, padding: 2), ReLU(), MaxPool2d(2),
            Conv2d(c1, c2, kernel: 5, padding: 2), ReLU(), MaxPool2d(2),
            Flatten(), Linear(c2 * 7 * 7, hidden, relu: true), Linear(hidden, classes),
        ]
        return Sequential(layers, inputShape: [1, 28, 28])
    }
}
